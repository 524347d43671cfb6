namespace Retrieval.Benchmarks.Encoders;

internal static class Percentiles
{
    /// <summary>Nearest-rank percentile of <paramref name="values"/> (p in 0..100).</summary>
    public static double NearestRank(IReadOnlyCollection<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Median(IReadOnlyCollection<double> values) => NearestRank(values, 50);
}
