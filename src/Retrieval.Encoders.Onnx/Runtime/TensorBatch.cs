using Microsoft.ML.OnnxRuntime;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;

namespace Retrieval.Encoders.Onnx.Runtime;

/// <summary>Stacks same-shaped float items (images, tensors) into one <c>[batch, ...]</c> tensor.</summary>
internal static class TensorBatch
{
    public static BatchInputs Build(IReadOnlyList<PreparedInput> batch, EncoderDescriptor descriptor)
    {
        var shape = batch[0].Shape;
        long[] full = [batch.Count, .. shape.Select(d => (long)d)];
        if (batch.Count == 1)
        {
            // One item (every run of a fixed-batch-1 model such as ResNet18): its own array is the tensor, no copy.
            return new BatchInputs([descriptor.InputName], [OrtValue.CreateTensorValueFromMemory(batch[0].Values!, full)], null, 0);
        }

        var perItem = batch[0].Values!.Length;
        var data = new float[batch.Count * perItem];
        for (var i = 0; i < batch.Count; i++)
        {
            // Items with dynamic dimensions may differ in shape; they cannot share a tensor.
            if (!batch[i].Shape.AsSpan().SequenceEqual(shape))
            {
                throw RetrievalException.Invalid(FieldPath.Of("inputs"), "tensors encoded together must share one shape");
            }

            batch[i].Values!.CopyTo(data, i * perItem);
        }

        return new BatchInputs([descriptor.InputName], [OrtValue.CreateTensorValueFromMemory(data, full)], null, 0);
    }
}
