using SkiaSharp;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>Deterministic benchmark inputs: sentences of 6–40 words and JPEG photos-sized drawings, generated from a seed.</summary>
internal static class EncoderBenchInputs
{
    private static readonly string[] Words =
    [
        "the", "vector", "index", "retrieval", "server", "encodes", "images", "and", "texts", "into", "dense", "embeddings",
        "a", "query", "finds", "nearest", "neighbours", "quickly", "while", "storage", "keeps", "every", "write", "durable",
        "models", "run", "on", "CPU", "cores", "with", "batching", "of", "requests", "that", "arrive", "together", "river",
        "mountain", "bread", "guitar", "market", "weather", "library", "student", "kitchen", "garden", "engine", "music",
    ];

    public static string[] Texts(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => string.Join(' ', Enumerable.Range(0, random.Next(6, 41)).Select(_ => Words[random.Next(Words.Length)])) + ".")
            .ToArray();
    }

    /// <summary>Coloured discs and stripes on varied backgrounds, 320×240 JPEG (the server resizes and centre-crops to 224).</summary>
    public static byte[][] Images(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Draw(random)).ToArray();
    }

    private static byte[] Draw(Random random)
    {
        using var bitmap = new SKBitmap(320, 240);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(RandomColor(random));
            using var paint = new SKPaint { Color = RandomColor(random), IsAntialias = true };
            for (var x = random.Next(0, 30); x < 320; x += random.Next(20, 60))
            {
                canvas.DrawRect(x, 0, random.Next(4, 16), 240, paint);
            }

            paint.Color = RandomColor(random);
            canvas.DrawCircle(random.Next(60, 260), random.Next(60, 180), random.Next(20, 80), paint);
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    private static SKColor RandomColor(Random random) => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
}
