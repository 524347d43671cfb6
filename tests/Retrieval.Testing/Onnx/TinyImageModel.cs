namespace Retrieval.Testing.Onnx;

/// <summary>
/// An image encoder small enough for any test: the mean of each colour channel of a <see cref="Size"/>² CHW image
/// (ReduceMean over height and width), a 3-d vector.
/// </summary>
public static class TinyImageModel
{
    public const int Size = 8;
    public const int Dim = 3;

    public static byte[] Model() => new OnnxGraph()
        .Input("pixels", OnnxGraph.Float, "batch", 3, Size, Size)
        .Node("ReduceMean", ["pixels"], "means", OnnxGraph.IntsAttribute("axes", 2, 3), OnnxGraph.IntAttribute("keepdims", 0))
        .Output("means", OnnxGraph.Float, "batch", Dim)
        .ToBytes();
}
