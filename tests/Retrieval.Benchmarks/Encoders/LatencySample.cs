using System.Globalization;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>Per-request latencies of one side (raw ORT or server) of one configuration, with its throughput.</summary>
internal sealed class LatencySample(int batch)
{
    private readonly List<double> _milliseconds = [];

    public int Requests => _milliseconds.Count;

    public int Items => _milliseconds.Count * batch;

    public void Add(double milliseconds) => _milliseconds.Add(milliseconds);

    /// <summary>Items per second over the timed requests (requests run one after another, so time is their sum).</summary>
    public double ItemsPerSecond => Items / (_milliseconds.Sum() / 1000.0);

    /// <summary>Nearest-rank percentile; with few requests p99 is close to the slowest one, which the report states.</summary>
    public double Percentile(double p)
    {
        var sorted = _milliseconds.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public string Summary() => string.Create(
        CultureInfo.InvariantCulture, $"{ItemsPerSecond,8:F1} items/s  p50 {Percentile(50),7:F1} ms  p99 {Percentile(99),7:F1} ms");
}
