using Retrieval.Encoders.Onnx.Batching;
using Retrieval.Encoders.Onnx.Inputs;
using Retrieval.Encoders.Onnx.Runtime;

namespace Retrieval.Encoders.Onnx.Registry;

/// <summary>A registered encoder in memory: the session and the micro-batcher in front of it.</summary>
internal sealed class LoadedEncoder : IAsyncDisposable
{
    public LoadedEncoder(OnnxEncoder encoder, OnnxEncoderOptions options)
    {
        Encoder = encoder;
        // A batch is what one model run takes: for a fixed-batch-1 model (ResNet18) one input, so each result goes back
        // as soon as its run ends instead of waiting for a gathered batch's other runs, and clients' next inputs
        // arrive (and are decoded) while the model works rather than all at once after it.
        Batcher = new MicroBatcher<PreparedInput, Embedding>(
            options.QueueCapacity, encoder.MaxRunBatch, TimeSpan.FromMilliseconds(options.MaxWaitMilliseconds), encoder.Run);
    }

    public OnnxEncoder Encoder { get; }

    public MicroBatcher<PreparedInput, Embedding> Batcher { get; }

    public async ValueTask DisposeAsync()
    {
        // Stop the worker before the session goes: a run must never see a disposed session.
        await Batcher.DisposeAsync();
        Encoder.Dispose();
    }
}
