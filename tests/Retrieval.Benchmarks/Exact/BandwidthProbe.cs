using System.Diagnostics;
using System.Numerics.Tensors;

namespace Retrieval.Benchmarks.Exact;

/// <summary>
/// Read bandwidth from a sum over a 1 GiB array (far past the caches), with the same thread count as the searches:
/// a single-query exact scan reads every row once, so bandwidth / (N·d·4 bytes) bounds its QPS.
/// </summary>
internal static class BandwidthProbe
{
    public static double MeasureGigabytesPerSecond(int threads, int trials)
    {
        var data = new float[1 << 28];
        Array.Fill(data, 1f);
        var parts = threads;
        var best = 0.0;
        var sink = 0f;
        for (var t = 0; t < trials + 1; t++)
        {
            var sums = new float[parts];
            var watch = Stopwatch.StartNew();
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = threads }, p =>
            {
                var start = (long)data.Length * p / parts;
                var end = (long)data.Length * (p + 1) / parts;
                sums[p] = TensorPrimitives.Sum(data.AsSpan((int)start, (int)(end - start)));
            });
            var seconds = watch.Elapsed.TotalSeconds;
            sink += sums.Sum();

            // The first pass also faults the pages in; it is the warm-up.
            if (t > 0)
            {
                best = Math.Max(best, data.Length * 4.0 / seconds / 1e9);
            }
        }

        GC.KeepAlive(sink);
        return best;
    }
}
