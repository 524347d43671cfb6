using System.Diagnostics;
using Retrieval.Faiss;

namespace Retrieval.Benchmarks.Faiss;

/// <summary>HNSW through our binding: build time, then recall/QPS per efSearch in batch and one-query-per-call modes.</summary>
internal static class FaissBindingHnsw
{
    public static (double BuildSeconds, List<HnswMeasurement> Points) Run(BenchmarkData data, string factory, int k, IReadOnlyList<int> efs)
    {
        using var index = FaissIndex.Create(factory, data.Dimension, FaissMetric.L2);
        var ids = Enumerable.Range(0, data.Count).Select(i => (long)i).ToArray();
        var watch = Stopwatch.StartNew();
        index.Add(ids, data.Vectors);
        var buildSeconds = watch.Elapsed.TotalSeconds;

        var points = new List<HnswMeasurement>();
        var hitIds = new long[data.QueryCount * k];
        var scores = new float[data.QueryCount * k];
        foreach (var ef in efs)
        {
            var parameters = new FaissSearchParameters { EfSearch = ef };
            var seconds = BestOf(3, () => index.Search(data.Queries, k, hitIds, scores, parameters));
            points.Add(new HnswMeasurement("faiss-binding", "batch", ef, data.Recall(hitIds, k), data.QueryCount / seconds));
        }

        var threads = FaissRuntime.ThreadCount;
        FaissRuntime.ThreadCount = 1;
        try
        {
            foreach (var ef in efs)
            {
                var parameters = new FaissSearchParameters { EfSearch = ef };
                var seconds = BestOf(2, () =>
                {
                    for (var q = 0; q < data.QueryCount; q++)
                    {
                        index.Search(data.Queries.AsSpan(q * data.Dimension, data.Dimension), k, hitIds.AsSpan(q * k, k), scores.AsSpan(q * k, k), parameters);
                    }
                });
                points.Add(new HnswMeasurement("faiss-binding", "single-1thr", ef, data.Recall(hitIds, k), data.QueryCount / seconds));
            }
        }
        finally
        {
            FaissRuntime.ThreadCount = threads == Environment.ProcessorCount ? 0 : threads;
        }

        return (buildSeconds, points);
    }

    internal static double BestOf(int repeats, Action action)
    {
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        return best;
    }
}
