namespace Retrieval.Encoders.Onnx.Inputs;

/// <summary>
/// An input after preprocessing, ready to be stacked into a batch: token ids (text) or a float tensor (image,
/// tensor). Preprocessing happens on the caller's thread so bad inputs fail their own request, not a batch.
/// </summary>
public sealed class PreparedInput
{
    private PreparedInput(long[]? tokenIds, float[]? values, int[] shape)
    {
        TokenIds = tokenIds;
        Values = values;
        Shape = shape;
    }

    /// <summary>Token ids with the tokenizer's special tokens, for text encoders.</summary>
    public long[]? TokenIds { get; }

    /// <summary>Row-major float values, for image and tensor encoders.</summary>
    public float[]? Values { get; }

    /// <summary>Shape of one item (no batch dimension): <c>[tokens]</c> for text.</summary>
    public int[] Shape { get; }

    public static PreparedInput Tokens(long[] ids) => new(ids, null, [ids.Length]);

    public static PreparedInput Tensor(float[] values, int[] shape) => new(null, values, shape);
}
