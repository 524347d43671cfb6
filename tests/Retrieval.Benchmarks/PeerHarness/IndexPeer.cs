using System.Diagnostics;
using System.Globalization;
using Retrieval.Core.Errors;
using Retrieval.Engine.Indexes;
using CoreModel = Retrieval.Core.Model;

namespace Retrieval.Benchmarks.PeerHarness;

/// <summary>
/// Retrieval's index layer alone: the same HNSW graph the engine builds, searched through <see cref="IVectorIndex"/>
/// with nothing around it (no segments, filters, result mapping). Set beside the engine peer, it splits the engine's
/// cost per query into the graph's and the engine's own.
/// </summary>
internal sealed class IndexPeer : IDisposable
{
    private readonly IVectorIndex _index;
    private readonly PeerData _data;

    private IndexPeer(IVectorIndex index, PeerData data)
    {
        _index = index;
        _data = data;
    }

    public static string Name => "Retrieval index layer in process";

    public static IndexPeer Build(PeerData data, int m, int efConstruction, TextWriter log)
    {
        var spec = IndexSpec.Parse($"HNSW{m},efConstruction={efConstruction}", data.Dimension, FieldPath.Of("index"));
        var options = new IndexingOptions { HnswEfConstruction = efConstruction, BuildThreads = Environment.ProcessorCount };
        var metric = data.InnerProduct ? CoreModel.Metric.InnerProduct : CoreModel.Metric.L2;
        var watch = Stopwatch.StartNew();
        var index = VectorIndexFactory.Create(spec, data.Dimension, metric, data.Count, options);
        var ids = new long[data.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = i;
        }

        index.Add(ids, data.Vectors);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {Name}: {spec}, graph built in {watch.Elapsed.TotalSeconds:F1} s"));
        return new IndexPeer(index, data);
    }

    /// <summary>Like the engine peer's sweep: each ef, several passes on this thread, the median-QPS pass kept.</summary>
    public List<SweepPoint> Sweep(IReadOnlyList<int> efs, int passes, double stopAtRecall)
    {
        var points = new List<SweepPoint>();
        var ids = new long[_data.K];
        var scores = new float[_data.K];
        foreach (var ef in efs)
        {
            var parameters = new IndexSearchParameters(ef, 0);
            var runs = new List<SweepPoint>();
            for (var pass = 0; pass < passes; pass++)
            {
                var latencies = new double[_data.QueryCount];
                var hits = 0;
                var clock = Stopwatch.StartNew();
                for (var q = 0; q < _data.QueryCount; q++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var found = _index.Search(_data.Query(q), _data.K, parameters, null, ids, scores);
                    latencies[q] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    hits += _data.Hits(q, ids.AsSpan(0, found));
                }

                Array.Sort(latencies);
                runs.Add(new SweepPoint(ef, (double)hits / (_data.QueryCount * _data.K), _data.QueryCount / clock.Elapsed.TotalSeconds, EnginePeer.Percentile(latencies, 0.5), EnginePeer.Percentile(latencies, 0.99)));
            }

            points.Add(runs.OrderBy(r => r.Qps).ElementAt(runs.Count / 2));
            if (points[^1].Recall >= stopAtRecall)
            {
                break;
            }
        }

        return points;
    }

    public void Dispose() => _index.Dispose();
}
