using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Inputs;

namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>Passes float tensors through, checking them against the model input's per-item shape (-1 = any).</summary>
public sealed class TensorPreprocessor(IReadOnlyList<int> itemShape) : IInputPreprocessor
{
    public PreparedInput Prepare(EncoderInput input, bool isQuery, FieldPath field)
    {
        if (input is not TensorInput tensor)
        {
            throw RetrievalException.Invalid(field, "this encoder takes tensors");
        }

        if (tensor.Shape.Count != itemShape.Count)
        {
            throw RetrievalException.Invalid(field.Member("shape"), $"must have {itemShape.Count} dimensions (the model input without its batch dimension)");
        }

        long count = 1;
        for (var i = 0; i < itemShape.Count; i++)
        {
            if (tensor.Shape[i] < 1 || (itemShape[i] > 0 && tensor.Shape[i] != itemShape[i]))
            {
                throw RetrievalException.Invalid(field.Member("shape"), $"[{string.Join(',', tensor.Shape)}] does not fit the model input [{string.Join(',', itemShape)}]");
            }

            count *= tensor.Shape[i];
        }

        if (count != tensor.Values.Length)
        {
            throw RetrievalException.Invalid(field.Member("values"), $"has {tensor.Values.Length} values; the shape needs {count}");
        }

        return PreparedInput.Tensor(tensor.Values.ToArray(), [.. tensor.Shape]);
    }

    public PreparedInput Probe()
    {
        var shape = itemShape.Select(d => d > 0 ? d : 1).ToArray();
        return PreparedInput.Tensor(new float[shape.Aggregate(1, (a, b) => a * b)], shape);
    }
}
