namespace Retrieval.Encoders.Onnx.Descriptors;

/// <summary>
/// Image preprocessing: resize the shorter side to <see cref="ResizeShorterSide"/> (0 = resize straight to the crop
/// size), centre-crop <see cref="Width"/> × <see cref="Height"/>, then per channel <c>(pixel * Scale - Mean) / Std</c>
/// into a CHW float tensor in <see cref="ChannelOrder"/>.
/// </summary>
public sealed record ImageSettings
{
    public int Width { get; init; } = 224;

    public int Height { get; init; } = 224;

    public int ResizeShorterSide { get; init; } = 256;

    /// <summary>Multiplies 0..255 pixel values first. Default 1/255 (ImageNet-style models).</summary>
    public float Scale { get; init; } = 1f / 255f;

    /// <summary>Per-channel mean in the model's channel order. Default ImageNet RGB.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0.485f, 0.456f, 0.406f];

    /// <summary>Per-channel standard deviation in the model's channel order. Default ImageNet RGB.</summary>
    public IReadOnlyList<float> Std { get; init; } = [0.229f, 0.224f, 0.225f];

    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;
}
