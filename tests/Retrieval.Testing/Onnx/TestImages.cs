using SkiaSharp;

namespace Retrieval.Testing.Onnx;

/// <summary>Images the tests draw themselves (PNG or JPEG bytes), so no binary fixtures are shipped.</summary>
public static class TestImages
{
    /// <summary>A red disc on white; <paramref name="shift"/> moves it a little (a "similar" image).</summary>
    public static byte[] Disc(int shift = 0, SKEncodedImageFormat format = SKEncodedImageFormat.Png) => Draw(260, 240, format, canvas =>
    {
        canvas.Clear(SKColors.White);
        using var paint = new SKPaint { Color = new SKColor(220, 30, 30), IsAntialias = true };
        canvas.DrawCircle(130 + shift, 120 + shift, 70, paint);
    });

    /// <summary>Blue and yellow stripes: nothing like a disc.</summary>
    public static byte[] Stripes() => Draw(240, 240, SKEncodedImageFormat.Png, canvas =>
    {
        canvas.Clear(new SKColor(20, 40, 200));
        using var paint = new SKPaint { Color = new SKColor(250, 220, 0) };
        for (var x = 0; x < 240; x += 24)
        {
            canvas.DrawRect(x, 0, 12, 240, paint);
        }
    });

    /// <summary>One flat colour (PNG, lossless): every pixel of any resize or crop keeps it.</summary>
    public static byte[] Solid(byte red, byte green, byte blue) => Draw(40, 30, SKEncodedImageFormat.Png, canvas => canvas.Clear(new SKColor(red, green, blue)));

    private static byte[] Draw(int width, int height, SKEncodedImageFormat format, Action<SKCanvas> draw)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            draw(canvas);
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }
}
