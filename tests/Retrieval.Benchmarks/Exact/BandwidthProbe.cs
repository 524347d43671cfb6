using System.Diagnostics;
using System.Numerics.Tensors;

namespace Retrieval.Benchmarks.Exact;

/// <summary>
/// Read bandwidth from sums over a 1 GiB array (far past the caches), with the same thread count as the searches:
/// a single-query exact scan reads every row once, so bandwidth / (N·d·4 bytes) bounds its QPS. The suite probes
/// right before each single-query trial, because on a shared machine the bandwidth left to us changes by the second.
/// </summary>
internal sealed class BandwidthProbe(int threads)
{
    private readonly float[] _data = CreateData();

    /// <summary>GB/s of repeated full passes over the array for at least <paramref name="seconds"/>.</summary>
    public double MeasureGigabytesPerSecond(double seconds)
    {
        var sums = new float[threads];
        var passes = 0;
        var watch = Stopwatch.StartNew();
        do
        {
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, p =>
            {
                var start = (long)_data.Length * p / threads;
                var end = (long)_data.Length * (p + 1) / threads;
                sums[p] += TensorPrimitives.Sum(_data.AsSpan((int)start, (int)(end - start)));
            });
            passes++;
        }
        while (watch.Elapsed.TotalSeconds < seconds);

        GC.KeepAlive(sums);
        return passes * (_data.Length * 4.0) / watch.Elapsed.TotalSeconds / 1e9;
    }

    private static float[] CreateData()
    {
        // Written once so that every page is faulted in before the first measurement.
        var data = new float[1 << 28];
        Array.Fill(data, 1f);
        return data;
    }
}
