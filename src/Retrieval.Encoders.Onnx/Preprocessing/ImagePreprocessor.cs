using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;
using SkiaSharp;

namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>Decodes JPEG/PNG with SkiaSharp, resizes, centre-crops and normalizes into a CHW float tensor.</summary>
public sealed class ImagePreprocessor(ImageSettings settings) : IInputPreprocessor
{
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.None);

    public PreparedInput Prepare(EncoderInput input, bool isQuery, string field)
    {
        if (input is not ImageInput image)
        {
            throw RetrievalException.Invalid(field, "this encoder takes images");
        }

        // SKBitmap.Decode(bytes) throws ArgumentNullException on data no codec recognizes; asking for a codec first
        // tells "not an image" apart from a real fault.
        using var data = SKData.CreateCopy(image.Bytes.Span);
        using var codec = SKCodec.Create(data)
            ?? throw RetrievalException.Invalid($"{field}.image", "not a decodable JPEG or PNG image");
        using var decoded = SKBitmap.Decode(codec)
            ?? throw RetrievalException.Invalid($"{field}.image", "the image data is truncated or corrupt");
        return FromBitmap(decoded);
    }

    public PreparedInput Probe()
    {
        using var bitmap = new SKBitmap(settings.Width, settings.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        bitmap.Erase(new SKColor(128, 128, 128));
        return FromBitmap(bitmap);
    }

    private PreparedInput FromBitmap(SKBitmap source)
    {
        var (width, height) = ResizedSize(source.Width, source.Height);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var resized = source.Resize(info, Sampling)
            ?? throw RetrievalException.Invalid("image", "could not be resized");
        return ToTensor(resized);
    }

    private (int Width, int Height) ResizedSize(int width, int height)
    {
        if (settings.ResizeShorterSide == 0)
        {
            return (settings.Width, settings.Height);
        }

        // Keep the aspect ratio; the shorter side becomes ResizeShorterSide and the centre crop trims the longer one.
        var scale = (double)settings.ResizeShorterSide / Math.Min(width, height);
        return (Math.Max(settings.Width, (int)Math.Round(width * scale)), Math.Max(settings.Height, (int)Math.Round(height * scale)));
    }

    private PreparedInput ToTensor(SKBitmap rgba)
    {
        int w = settings.Width, h = settings.Height, plane = w * h;
        var x0 = (rgba.Width - w) / 2;
        var y0 = (rgba.Height - h) / 2;
        var pixels = rgba.GetPixelSpan();
        var values = new float[3 * plane];
        var bgr = settings.ChannelOrder == ChannelOrder.Bgr;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var p = (((y0 + y) * rgba.Width) + x0 + x) * 4;
                for (var c = 0; c < 3; c++)
                {
                    // Channel c of the model's tensor reads RGBA byte (bgr ? 2 - c : c).
                    var pixel = pixels[p + (bgr ? 2 - c : c)];
                    values[(c * plane) + (y * w) + x] = ((pixel * settings.Scale) - settings.Mean[c]) / settings.Std[c];
                }
            }
        }

        return PreparedInput.Tensor(values, [3, h, w]);
    }
}
