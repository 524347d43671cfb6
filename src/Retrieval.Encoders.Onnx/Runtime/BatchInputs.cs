using Microsoft.ML.OnnxRuntime;

namespace Retrieval.Encoders.Onnx.Runtime;

/// <summary>Named input tensors of one run; owns (and disposes) their OrtValues. Text batches carry their mask for pooling.</summary>
internal sealed class BatchInputs(string[] names, OrtValue[] values, long[]? mask, int tokens) : IDisposable
{
    public string[] Names { get; } = names;

    public OrtValue[] Values { get; } = values;

    /// <summary>Attention mask, <c>[batch × tokens]</c>; null for image and tensor inputs.</summary>
    public long[]? Mask { get; } = mask;

    public int Tokens { get; } = tokens;

    public void Dispose()
    {
        foreach (var value in Values)
        {
            value.Dispose();
        }
    }
}
