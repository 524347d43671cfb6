using Microsoft.ML.OnnxRuntime;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;

namespace Retrieval.Encoders.Onnx.Runtime;

/// <summary>
/// What the descriptor needs from the model, checked against the session's metadata: the named inputs and output
/// exist with usable element types. Also reads whether the batch dimension is fixed at 1 (ResNet18 in ML.NET's
/// package is), in which case batches run one item at a time.
/// </summary>
public sealed class ModelSignature
{
    private ModelSignature(bool tokenIdsAreInt32, bool fixedBatchOfOne, int[] itemShape)
    {
        TokenIdsAreInt32 = tokenIdsAreInt32;
        FixedBatchOfOne = fixedBatchOfOne;
        ItemShape = itemShape;
    }

    /// <summary>Text models exported with int32 ids instead of the usual int64.</summary>
    public bool TokenIdsAreInt32 { get; }

    public bool FixedBatchOfOne { get; }

    /// <summary>The first input's dimensions without the batch dimension (-1 = dynamic).</summary>
    public int[] ItemShape { get; }

    public static ModelSignature Read(InferenceSession session, EncoderDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(descriptor);
        var output = Require(session.OutputMetadata, descriptor.OutputName, FieldPath.Of("descriptor").Member("output_name"), "output");
        RequireType(output, typeof(float), FieldPath.Of("descriptor").Member("output_name"), descriptor.OutputName);

        NodeMetadata first;
        var int32Ids = false;
        if (descriptor.InputKind == EncoderInputKind.Text)
        {
            var text = descriptor.Text ?? new TextSettings();
            first = Require(session.InputMetadata, text.InputIdsName, FieldPath.Of("descriptor").Member("text").Member("input_ids_name"), "input");
            int32Ids = first.ElementType == typeof(int);
            var names = new[] { (text.InputIdsName, "input_ids_name"), (text.AttentionMaskName, "attention_mask_name"), (text.TokenTypeIdsName, "token_type_ids_name") };
            foreach (var (name, field) in names.Where(n => n.Item1.Length > 0))
            {
                var input = Require(session.InputMetadata, name, FieldPath.Of("descriptor").Member("text").Member(field), "input");
                RequireType(input, int32Ids ? typeof(int) : typeof(long), FieldPath.Of("descriptor").Member("text").Member(field), name);
            }

            ExpectOnly(session, names.Select(n => n.Item1).Where(n => n.Length > 0));
        }
        else
        {
            first = Require(session.InputMetadata, descriptor.InputName, FieldPath.Of("descriptor").Member("input_name"), "input");
            RequireType(first, typeof(float), FieldPath.Of("descriptor").Member("input_name"), descriptor.InputName);
            ExpectOnly(session, [descriptor.InputName]);
        }

        var dims = first.Dimensions;
        if (dims.Length == 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("model"), "its first input has no batch dimension");
        }

        return new ModelSignature(int32Ids, dims[0] == 1, dims[1..]);
    }

    private static NodeMetadata Require(IReadOnlyDictionary<string, NodeMetadata> metadata, string name, FieldPath field, string what)
    {
        if (!metadata.TryGetValue(name, out var node) || !node.IsTensor)
        {
            throw RetrievalException.Invalid(field, $"the model has no tensor {what} '{name}' (it has: {string.Join(", ", metadata.Keys)})");
        }

        return node;
    }

    private static void RequireType(NodeMetadata node, Type expected, FieldPath field, string name)
    {
        if (node.ElementType != expected)
        {
            throw RetrievalException.Invalid(field, $"'{name}' holds {node.ElementType.Name}; this encoder needs {expected.Name}");
        }
    }

    /// <summary>Every model input must be fed; an input the descriptor does not name could not be.</summary>
    private static void ExpectOnly(InferenceSession session, IEnumerable<string> named)
    {
        var missing = session.InputMetadata.Keys.Except(named).ToList();
        if (missing.Count > 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("descriptor"), $"the model also needs inputs the descriptor does not name: {string.Join(", ", missing)}");
        }
    }
}
