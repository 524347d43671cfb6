using System.Globalization;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>Per-request wall and CPU times of one side (raw ORT or server) of one configuration.</summary>
internal sealed class LatencySample(int batch)
{
    private readonly List<double> _milliseconds = [];
    private double _cpuMilliseconds;

    public int Requests => _milliseconds.Count;

    public int Items => _milliseconds.Count * batch;

    public void Add(double milliseconds, double cpuMilliseconds = 0)
    {
        _milliseconds.Add(milliseconds);
        _cpuMilliseconds += cpuMilliseconds;
    }

    /// <summary>Items per second over the timed requests (requests run one after another, so time is their sum).</summary>
    public double ItemsPerSecond => Items / (_milliseconds.Sum() / 1000.0);

    /// <summary>Items per second at the median request time: what a steady machine would give, less swayed by load spikes.</summary>
    public double MedianItemsPerSecond => batch / (Percentile(50) / 1000.0);

    /// <summary>Process CPU time per item while this side's requests ran.</summary>
    public double CpuMillisecondsPerItem => _cpuMilliseconds / Items;

    /// <summary>Nearest-rank percentile; with few requests p99 is close to the slowest one, which the report states.</summary>
    public double Percentile(double p) => Percentiles.NearestRank(_milliseconds, p);

    public string Summary() => string.Create(
        CultureInfo.InvariantCulture,
        $"{ItemsPerSecond,8:F1} items/s (at p50 {MedianItemsPerSecond,7:F1})  p50 {Percentile(50),7:F1} ms  p99 {Percentile(99),7:F1} ms  cpu {CpuMillisecondsPerItem,6:F1} ms/item");
}
