using System.Diagnostics;
using System.Globalization;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Inputs;
using SkiaSharp;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>
/// Where the server's image preprocessing time goes: JPEG decode alone, decode + resize (as the server does them: into
/// RGBA unpremultiplied, shorter side to <c>resizeShorterSide</c>, linear filter), and the whole preparation with crop
/// and normalization.
/// </summary>
internal static class ImagePreprocessingBreakdown
{
    private const int Passes = 5;

    public static string Measure(BenchmarkedModel model, int resizeShorterSide)
    {
        var images = model.RawInputs.OfType<ImageInput>().Select(i => i.Bytes.ToArray()).ToArray();
        var decode = Median(() =>
        {
            foreach (var bytes in images)
            {
                using var bitmap = Decode(bytes);
            }
        }, images.Length);
        var resize = Median(() =>
        {
            foreach (var bytes in images)
            {
                using var bitmap = Decode(bytes);
                var scale = (double)resizeShorterSide / Math.Min(bitmap.Width, bitmap.Height);
                var info = new SKImageInfo((int)Math.Round(bitmap.Width * scale), (int)Math.Round(bitmap.Height * scale), SKColorType.Rgba8888, SKAlphaType.Unpremul);
                using var resized = bitmap.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
            }
        }, images.Length);
        var whole = Median(() =>
        {
            foreach (var input in model.RawInputs)
            {
                model.Preprocessor.Prepare(input, isQuery: false, FieldPath.Of("inputs"));
            }
        }, images.Length);
        return string.Create(CultureInfo.InvariantCulture, $"decode {decode:F2} ms, decode + resize {resize:F2} ms, whole preparation (+ crop, normalize) {whole:F2} ms per image");
    }

    /// <summary>As the server decodes: straight into RGBA, unpremultiplied (the layout its resize writes).</summary>
    private static SKBitmap Decode(byte[] bytes)
    {
        using var codec = SKCodec.Create(new MemoryStream(bytes));
        return SKBitmap.Decode(codec, new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
    }

    private static double Median(Action pass, int items)
    {
        var times = new List<double>();
        for (var i = 0; i < Passes; i++)
        {
            var clock = Stopwatch.StartNew();
            pass();
            times.Add(clock.Elapsed.TotalMilliseconds / items);
        }

        return Percentiles.Median(times);
    }
}
