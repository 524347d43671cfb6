using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Engine.Indexes;
using Retrieval.Storage.Sqlite;
using CoreModel = Retrieval.Core.Model;

namespace Retrieval.Benchmarks.PeerHarness;

/// <summary>
/// Retrieval's engine in this process, without the server around it: the in-process counterpart of the native
/// peers (one thread, one query per call, the same HNSW spec), so that the graph and search kernel compare with
/// hnswlib and Faiss built for this CPU and the server peer shows what a call adds.
/// </summary>
internal sealed class EnginePeer : IAsyncDisposable
{
    private const string Collection = "peers";
    private readonly RetrievalEngine _engine;
    private readonly PeerData _data;
    private readonly string _directory;

    private EnginePeer(RetrievalEngine engine, PeerData data, string directory, HnswLibrary library)
    {
        _engine = engine;
        _data = data;
        _directory = directory;
        Name = NameOf(library);
    }

    /// <summary>The report's name of the engine peer whose float32 HNSW graphs are <paramref name="library"/>'s.</summary>
    public static string NameOf(HnswLibrary library) =>
        library == HnswLibrary.Retrieval ? "Retrieval engine in process" : $"Retrieval engine in process, {library} graph";

    public string Name { get; }

    public static async Task<EnginePeer> StartAsync(PeerData data, int m, int efConstruction, TextWriter log, HnswLibrary library = HnswLibrary.Retrieval)
    {
        var directory = Path.Combine(Path.GetTempPath(), "retrieval-peers-bench", Guid.NewGuid().ToString("N"));
        var indexing = new IndexingOptions
        {
            SealThreshold = data.Count,
            MaxSegmentVectors = data.Count,
            HnswEfConstruction = efConstruction,
            BackgroundOptimizer = false,
            BuildThreads = Environment.ProcessorCount,
            HnswLibrary = library,
        };
        var engine = new RetrievalEngine(new SqliteRetrievalStore(directory), new EngineOptions(), NullLogger<RetrievalEngine>.Instance, indexing);
        var peer = new EnginePeer(engine, data, directory, library);
        try
        {
            await engine.StartAsync(CancellationToken.None);
            var spec = $"HNSW{m},efConstruction={efConstruction}";
            var metric = data.InnerProduct ? CoreModel.Metric.InnerProduct : CoreModel.Metric.L2;
            await engine.CreateCollectionAsync(Collection, [new CoreModel.SpaceDefinition("v", data.Dimension, metric, new CoreModel.ModelRef("peers", "1"), Index: spec)], null, CancellationToken.None);
            for (var start = 0; start < data.Count; start += 1000)
            {
                var batch = Enumerable.Range(start, Math.Min(1000, data.Count - start))
                    .Select(row => new ItemWrite(row.ToString(CultureInfo.InvariantCulture), null, new Dictionary<string, float[]> { ["v"] = data.Vector(row).ToArray() }))
                    .ToList();
                await engine.UpsertAsync(Collection, batch, CancellationToken.None);
            }

            var watch = Stopwatch.StartNew();
            engine.RunOptimizerUntilIdle(CancellationToken.None);
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"# {peer.Name}: {spec}, graph built in {watch.Elapsed.TotalSeconds:F1} s"));
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }

        return peer;
    }

    /// <summary>
    /// Each ef: <paramref name="passes"/> passes over every query on this thread; the median-QPS pass is kept. Stops
    /// after the first ef that reaches <paramref name="stopAtRecall"/>.
    /// </summary>
    public List<SweepPoint> Sweep(IReadOnlyList<int> efs, int passes, double stopAtRecall)
    {
        var points = new List<SweepPoint>();
        foreach (var ef in efs)
        {
            var queries = Enumerable.Range(0, _data.QueryCount).Select(q => new SearchQuery("v", _data.Query(q).ToArray(), _data.K, EfSearch: ef)).ToArray();
            var runs = new List<SweepPoint>();
            for (var pass = 0; pass < passes; pass++)
            {
                var latencies = new double[queries.Length];
                var hits = 0;
                var rows = new long[_data.K];
                var clock = Stopwatch.StartNew();
                for (var q = 0; q < queries.Length; q++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var found = _engine.Search(Collection, queries[q]);
                    latencies[q] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    for (var i = 0; i < found.Count && i < rows.Length; i++)
                    {
                        rows[i] = long.Parse(found[i].Id, CultureInfo.InvariantCulture);
                    }

                    hits += _data.Hits(q, rows.AsSpan(0, Math.Min(found.Count, rows.Length)));
                }

                Array.Sort(latencies);
                runs.Add(new SweepPoint(ef, (double)hits / (queries.Length * _data.K), queries.Length / clock.Elapsed.TotalSeconds, Percentile(latencies, 0.5), Percentile(latencies, 0.99)));
            }

            points.Add(runs.OrderBy(r => r.Qps).ElementAt(runs.Count / 2));
            if (points[^1].Recall >= stopAtRecall)
            {
                break;
            }
        }

        return points;
    }

    public async ValueTask DisposeAsync()
    {
        await _engine.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind is harmless.
        }
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
