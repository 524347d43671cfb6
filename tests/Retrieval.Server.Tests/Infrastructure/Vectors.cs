using System.Globalization;


namespace Retrieval.Server.Tests.Infrastructure;

/// <summary>Seeded test vectors and their JSON form.</summary>
internal static class Vectors
{
    public static float[][] Random(int count, int dimension, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => Enumerable.Range(0, dimension).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray())
            .ToArray();
    }

    public static string Json(float[] vector) =>
        "[" + string.Join(",", vector.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
}
