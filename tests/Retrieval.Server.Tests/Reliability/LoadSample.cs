using System.Globalization;

namespace Retrieval.Server.Tests.Reliability;

/// <summary>
/// One sampling window of a held load: throughput and latency of what was answered in the window, the errors, and the
/// server's memory at its end (resident set from /proc, managed heap from the runtime's metrics on /metrics).
/// </summary>
internal sealed record LoadSample(
    TimeSpan At,
    int Searches,
    int Upserts,
    double SearchP50Ms,
    double SearchP99Ms,
    double UpsertP50Ms,
    double UpsertP99Ms,
    int Errors,
    int Deliberate,
    long RssBytes,
    long RssAnonBytes,
    long ManagedHeapBytes,
    long Gen2Collections)
{
    public const string Header =
        "     t  search/s  upsert/s  search p50/p99 ms  upsert p50/p99 ms  errors  refused(deliberate)   RSS MiB  (anon)  heap MiB  gen2";

    public static LoadSample Of(MemoryProbe probe, LoadWindow window) => new(
        probe.At,
        window.SearchLatencies.Count,
        window.UpsertLatencies.Count,
        Quantile(window.SearchLatencies, 0.5),
        Quantile(window.SearchLatencies, 0.99),
        Quantile(window.UpsertLatencies, 0.5),
        Quantile(window.UpsertLatencies, 0.99),
        window.Errors,
        window.Deliberate,
        probe.RssBytes,
        probe.RssAnonBytes,
        probe.ManagedHeapBytes,
        probe.Gen2Collections);

    public string Format(TimeSpan window) => string.Create(
        CultureInfo.InvariantCulture,
        $"{At.TotalSeconds,5:F0}s {Searches / window.TotalSeconds,9:F0} {Upserts / window.TotalSeconds,9:F1} {SearchP50Ms,8:F1} / {SearchP99Ms,6:F1} {UpsertP50Ms,9:F1} / {UpsertP99Ms,6:F1} {Errors,7} {Deliberate,20} {RssBytes / 1048576.0,9:F1} {RssAnonBytes / 1048576.0,7:F1} {ManagedHeapBytes / 1048576.0,9:F1} {Gen2Collections,5}");

    /// <summary>The <paramref name="quantile"/> (0..1) of the latencies, nearest rank; 0 when there are none.</summary>
    public static double Quantile(List<double> latencies, double quantile)
    {
        if (latencies.Count == 0)
        {
            return 0;
        }

        latencies.Sort();
        var rank = (int)Math.Ceiling(quantile * latencies.Count) - 1;
        return latencies[Math.Clamp(rank, 0, latencies.Count - 1)];
    }
}

/// <summary>
/// The server's memory at one moment: resident set (and its anonymous part: heaps, native allocations, not file pages
/// the kernel can drop), managed heap after the last collection, gen2 collections so far.
/// </summary>
internal sealed record MemoryProbe(TimeSpan At, long RssBytes, long RssAnonBytes, long ManagedHeapBytes, long Gen2Collections);

/// <summary>What the clients saw in one reporting window: latencies in milliseconds, failures, deliberate refusals.</summary>
internal sealed record LoadWindow(List<double> SearchLatencies, List<double> UpsertLatencies, int Errors, int Deliberate);
