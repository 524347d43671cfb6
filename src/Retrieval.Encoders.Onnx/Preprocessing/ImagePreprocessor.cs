using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;
using SkiaSharp;

namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>Decodes JPEG/PNG with SkiaSharp, resizes, centre-crops and normalizes into a CHW float tensor.</summary>
public sealed class ImagePreprocessor : IInputPreprocessor
{
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.None);

    private readonly ImageSettings _settings;

    // (pixel * Scale - Mean) / Std for each of the 256 byte values, per tensor channel: the same arithmetic as
    // computing it per pixel, looked up instead of recomputed 150k times per 224 × 224 image.
    private readonly float[][] _normalized;

    public ImagePreprocessor(ImageSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _normalized = new float[3][];
        for (var c = 0; c < 3; c++)
        {
            _normalized[c] = new float[256];
            for (var pixel = 0; pixel < 256; pixel++)
            {
                _normalized[c][pixel] = ((pixel * _settings.Scale) - _settings.Mean[c]) / _settings.Std[c];
            }
        }
    }

    public PreparedInput Prepare(EncoderInput input, bool isQuery, FieldPath field)
    {
        if (input is not ImageInput image)
        {
            throw RetrievalException.Invalid(field, "this encoder takes images");
        }

        // SKBitmap.Decode(bytes) throws ArgumentNullException on data no codec recognizes; asking for a codec first
        // tells "not an image" apart from a real fault.
        using var data = SKData.CreateCopy(image.Bytes.Span);
        using var codec = SKCodec.Create(data)
            ?? throw RetrievalException.Invalid(field.Member("image"), "not a decodable JPEG or PNG image");
        // Decode straight into the RGBA/unpremultiplied layout the resize writes: resizing from the platform's native
        // BGRA/premultiplied layout into it took Skia's slow conversion path, about twice the time of the whole
        // same-layout decode + resize (docs/decisions.md, "Encoders").
        var layout = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = SKBitmap.Decode(codec, layout)
            ?? throw RetrievalException.Invalid(field.Member("image"), "the image data is truncated or corrupt");
        return FromBitmap(decoded);
    }

    public PreparedInput Probe()
    {
        using var bitmap = new SKBitmap(_settings.Width, _settings.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        bitmap.Erase(new SKColor(128, 128, 128));
        return FromBitmap(bitmap);
    }

    private PreparedInput FromBitmap(SKBitmap source)
    {
        var (width, height) = ResizedSize(source.Width, source.Height);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var resized = source.Resize(info, Sampling)
            ?? throw RetrievalException.Invalid(FieldPath.Of("image"), "could not be resized");
        return ToTensor(resized);
    }

    private (int Width, int Height) ResizedSize(int width, int height)
    {
        if (_settings.ResizeShorterSide == 0)
        {
            return (_settings.Width, _settings.Height);
        }

        // Keep the aspect ratio; the shorter side becomes ResizeShorterSide and the centre crop trims the longer one.
        var scale = (double)_settings.ResizeShorterSide / Math.Min(width, height);
        return (Math.Max(_settings.Width, (int)Math.Round(width * scale)), Math.Max(_settings.Height, (int)Math.Round(height * scale)));
    }

    private PreparedInput ToTensor(SKBitmap rgba)
    {
        int w = _settings.Width, h = _settings.Height, plane = w * h;
        var x0 = (rgba.Width - w) / 2;
        var y0 = (rgba.Height - h) / 2;
        ReadOnlySpan<byte> pixels = rgba.GetPixelSpan();
        var values = new float[3 * plane];
        var bgr = _settings.ChannelOrder == ChannelOrder.Bgr;
        for (var c = 0; c < 3; c++)
        {
            // Channel c of the model's tensor reads RGBA byte (bgr ? 2 - c : c).
            var source = bgr ? 2 - c : c;
            var lookup = _normalized[c];
            var target = values.AsSpan(c * plane, plane);
            for (var y = 0; y < h; y++)
            {
                var row = pixels.Slice((((y0 + y) * rgba.Width) + x0) * 4, w * 4);
                var line = target.Slice(y * w, w);
                for (var x = 0; x < line.Length; x++)
                {
                    line[x] = lookup[row[(x * 4) + source]];
                }
            }
        }

        return PreparedInput.Tensor(values, [3, h, w]);
    }
}
