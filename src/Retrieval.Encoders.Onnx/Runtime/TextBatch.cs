using Microsoft.ML.OnnxRuntime;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;

namespace Retrieval.Encoders.Onnx.Runtime;

/// <summary>Stacks token ids into <c>[batch, longest]</c> tensors, padding with id 0 and mask 0.</summary>
internal static class TextBatch
{
    public static BatchInputs Build(IReadOnlyList<PreparedInput> batch, EncoderDescriptor descriptor, ModelSignature signature)
    {
        var settings = descriptor.Text ?? new TextSettings();
        var tokens = batch.Max(b => b.TokenIds!.Length);
        var ids = new long[batch.Count * tokens];
        var mask = new long[batch.Count * tokens];
        for (var i = 0; i < batch.Count; i++)
        {
            var row = batch[i].TokenIds!;
            row.CopyTo(ids, i * tokens);
            mask.AsSpan(i * tokens, row.Length).Fill(1);
        }

        long[] shape = [batch.Count, tokens];
        var names = new List<string> { settings.InputIdsName };
        var values = new List<OrtValue> { Create(ids, shape, signature) };
        if (settings.AttentionMaskName.Length > 0)
        {
            names.Add(settings.AttentionMaskName);
            values.Add(Create(mask, shape, signature));
        }

        if (settings.TokenTypeIdsName.Length > 0)
        {
            names.Add(settings.TokenTypeIdsName);
            values.Add(Create(new long[ids.Length], shape, signature));
        }

        return new BatchInputs([.. names], [.. values], mask, tokens);
    }

    private static OrtValue Create(long[] data, long[] shape, ModelSignature signature) =>
        signature.TokenIdsAreInt32
            ? OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(data, v => (int)v), shape)
            : OrtValue.CreateTensorValueFromMemory(data, shape);
}
