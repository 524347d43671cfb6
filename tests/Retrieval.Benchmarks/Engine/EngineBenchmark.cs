using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Benchmarks.Ann;
using Retrieval.Benchmarks.Exact;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Engine.Indexes;
using Retrieval.Storage.Postgres;
using Retrieval.Storage.Sqlite;

namespace Retrieval.Benchmarks.Engine;

/// <summary>
/// The engine's own paths, in process, through <see cref="RetrievalEngine"/>'s public API: exact search, HNSW search
/// over one or several shards, index build wall time, and durable ingest. It uses only members that existed before
/// shards (and finds the shard-count overload by reflection), so the same file builds against an older engine for
/// before/after runs: <c>engine exact|hnsw|shards|ingest [options]</c>.
/// </summary>
internal static class EngineBenchmark
{
    private const string Collection = "bench";
    private const int K = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Options(args);
        Console.WriteLine(Inv($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} CPUs, load {File.ReadAllText("/proc/loadavg").Trim()}; engine {typeof(RetrievalEngine).Assembly.Location}"));
        return args.FirstOrDefault() switch
        {
            "exact" => await ExactAsync(options),
            "hnsw" => await HnswAsync(options),
            "shards" => await ShardsAsync(options),
            "stream" => await StreamAsync(options),
            "ingest" => await IngestAsync(options),
            _ => Usage(),
        };
    }

    /// <summary>Exact single-query QPS (one thread, one query per call) and SearchBatch QPS (batches of --batch).</summary>
    private static async Task<int> ExactAsync(Options options)
    {
        var n = options.Int("--n", 1_000_000);
        var dimension = options.Int("--dim", 128);
        var queries = BenchData.GenerateQueries(options.Int("--queries", 1000), dimension, 7);
        var rows = BenchData.Generate(n, dimension, 42);
        await using var bench = await Bench.OpenAsync(new IndexingOptions { BackgroundOptimizer = false });
        await bench.CreateAsync(dimension, Metric.InnerProduct, null, shards: 1);
        await bench.IngestAsync(i => rows.Row(i).ToArray(), n, 1000);
        var count = queries.Length / dimension;
        var single = Repeat(options, () =>
        {
            var watch = Stopwatch.StartNew();
            for (var q = 0; q < count; q++)
            {
                bench.Engine.Search(Collection, new SearchQuery("v", queries.AsSpan(q * dimension, dimension).ToArray(), K));
            }

            return count / watch.Elapsed.TotalSeconds;
        });
        var batchSize = options.Int("--batch", 1000);
        var batch = Enumerable.Range(0, batchSize).Select(q => new SearchQuery("v", queries.AsSpan(q % count * dimension, dimension).ToArray(), K)).ToList();
        var batched = Repeat(options, () =>
        {
            var watch = Stopwatch.StartNew();
            bench.Engine.SearchBatch(Collection, batch);
            return batchSize / watch.Elapsed.TotalSeconds;
        });
        Console.WriteLine(Inv($"exact {n}×{dimension}, k={K}: single-query QPS median {Median(single):F1} (trials {Join(single)}); SearchBatch({batchSize}) QPS median {Median(batched):F0} (trials {Join(batched)})"));
        return 0;
    }

    /// <summary>HNSW recall@10 and single-query QPS against an efSearch sweep, one shard (or --shards).</summary>
    private static async Task<int> HnswAsync(Options options)
    {
        var data = Dataset(options);
        var spec = options.Text("--spec", "HNSW32");
        await using var bench = await Bench.OpenAsync(new IndexingOptions { BackgroundOptimizer = false, SealThreshold = data.Count, MaxSegmentVectors = data.Count });
        await bench.CreateAsync(data.Dimension, data.Metric, null, options.Int("--shards", 1));
        await bench.IngestAsync(i => data.Vectors.AsSpan(i * data.Dimension, data.Dimension).ToArray(), data.Count, 1000);
        await bench.Engine.SetSpaceIndexAsync(Collection, "v", spec, CancellationToken.None);
        var watch = Stopwatch.StartNew();
        bench.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        Console.WriteLine(Inv($"{data.Name}, {spec}: built in {watch.Elapsed.TotalSeconds:F1} s"));
        PrintSweep(options, bench, data);
        return 0;
    }

    /// <summary>
    /// For each shard count: ingest without an index, set the HNSW spec, and time until every vector is indexed by the
    /// background optimizer (each shard builds its own graph); then the recall / single-query latency sweep.
    /// </summary>
    private static async Task<int> ShardsAsync(Options options)
    {
        var data = Dataset(options);
        var spec = options.Text("--spec", "HNSW32");
        foreach (var shards in options.Text("--shards", "1,2").Split(',').Select(int.Parse))
        {
            // The whole appendable segment of each shard is sealed into one segment and built once: the threshold only has
            // to be below every shard's share.
            var seal = options.Int("--seal", Math.Min(10_000, data.Count / 8));
            await using var bench = await Bench.OpenAsync(new IndexingOptions { BackgroundOptimizer = true, SealThreshold = seal, OptimizerIntervalMs = 50 });
            await bench.CreateAsync(data.Dimension, data.Metric, null, shards);
            await bench.IngestAsync(i => data.Vectors.AsSpan(i * data.Dimension, data.Dimension).ToArray(), data.Count, 1000);
            var watch = Stopwatch.StartNew();
            await bench.Engine.SetSpaceIndexAsync(Collection, "v", spec, CancellationToken.None);
            while (bench.Engine.GetSpaceIndexStatus(Collection, "v") is var status && (status.IndexedVectors < status.TotalVectors || status.Build is not null))
            {
                await Task.Delay(20);
            }

            Console.WriteLine(Inv($"{data.Name}, {spec}, {shards} shard(s): index wall time {watch.Elapsed.TotalSeconds:F2} s (BuildThreads {bench.Engine.Indexing.BuildThreads})"));
            PrintSweep(options, bench, data);
        }

        return 0;
    }

    /// <summary>
    /// The online path: the space is created with its index and fed in batches while the background optimizer seals,
    /// indexes and (with --merge true, the default) merges sealed segments into one graph; then the recall / latency
    /// sweep, to compare with <c>hnsw</c>'s bulk build.
    /// </summary>
    private static async Task<int> StreamAsync(Options options)
    {
        var data = Dataset(options);
        var spec = options.Text("--spec", "HNSW32");
        var merge = options.Text("--merge", "true") == "true";
        await using var bench = await Bench.OpenAsync(new IndexingOptions
        {
            BackgroundOptimizer = true,
            OptimizerIntervalMs = 50,
            SealThreshold = options.Int("--seal", 10_000),
            MergeIntoLargestGraph = merge,
        });
        await bench.CreateAsync(data.Dimension, data.Metric, spec, 1);
        var watch = Stopwatch.StartNew();
        await bench.IngestAsync(i => data.Vectors.AsSpan(i * data.Dimension, data.Dimension).ToArray(), data.Count, 1000);
        var ingested = watch.Elapsed.TotalSeconds;
        bench.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        var status = bench.Engine.GetSpaceIndexStatus(Collection, "v");
        Console.WriteLine(Inv($"{data.Name}, {spec}, streamed in batches of 1000 (merge {merge}): ingest {ingested:F1} s, idle after {watch.Elapsed.TotalSeconds:F1} s, {status.Segments.Count} sealed segment(s), {status.AppendableVectors} unindexed"));
        PrintSweep(options, bench, data);
        return 0;
    }

    /// <summary>Durable ingest through the engine (validate, commit to the store, apply) in batches: vectors per second.</summary>
    private static async Task<int> IngestAsync(Options options)
    {
        var n = options.Int("--n", 200_000);
        var dimension = options.Int("--dim", 128);
        var batch = options.Int("--batch", 1000);
        var rows = BenchData.Generate(n, dimension, 11);
        var store = options.Text("--store", "postgres");
        var rates = new List<double>();
        for (var round = 0; round < options.Int("--rounds", 3); round++)
        {
            await using var bench = await Bench.OpenAsync(new IndexingOptions { BackgroundOptimizer = false }, store);
            await bench.CreateAsync(dimension, Metric.InnerProduct, null, options.Int("--shards", 1));
            var watch = Stopwatch.StartNew();
            await bench.IngestAsync(i => rows.Row(i).ToArray(), n, batch);
            rates.Add(n / watch.Elapsed.TotalSeconds);
        }

        Console.WriteLine(Inv($"durable ingest into {store} through the engine, {n}×{dimension}, batches of {batch}: median {Median(rates):F0} vectors/s (rounds {Join(rates)})"));
        return 0;
    }

    private static void PrintSweep(Options options, Bench bench, AnnDataset data)
    {
        Console.WriteLine("| efSearch | recall@10 | QPS (1 thread) | mean ms | p50 ms | p99 ms |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var ef in options.Text("--ef", "16,32,64,128,256").Split(',').Select(int.Parse))
        {
            var ids = new long[data.QueryCount * K];
            var latencies = new double[data.QueryCount];
            // One warm-up pass per point (JIT, caches), then the timed pass.
            for (var pass = 0; pass < 2; pass++)
            {
                for (var q = 0; q < data.QueryCount; q++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var hits = bench.Engine.Search(Collection, new SearchQuery("v", data.Query(q).ToArray(), K, EfSearch: ef));
                    latencies[q] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    for (var i = 0; i < hits.Count; i++)
                    {
                        ids[q * K + i] = long.Parse(hits[i].Id, CultureInfo.InvariantCulture);
                    }
                }
            }

            var sorted = latencies.Order().ToArray();
            Console.WriteLine(Inv($"| {ef} | {data.Recall(ids, K):F4} | {1000 / latencies.Average():F0} | {latencies.Average():F4} | {sorted[sorted.Length / 2]:F4} | {sorted[(int)(sorted.Length * 0.99)]:F4} |"));
        }
    }

    private static AnnDataset Dataset(Options options) => options.Text("--data", "synthetic") switch
    {
        "fasttext" => AnnDataset.FromNpy(
            "wordnet-fasttext M_old 60k×96",
            Path.Combine(options.Text("--data-root", "../shared/data"), "wordnet-fasttext", "M_old.items.npy"),
            Path.Combine(options.Text("--data-root", "../shared/data"), "wordnet-fasttext", "M_old.queries.npy"),
            options.Int("--queries", 1000),
            K),
        "synthetic" => AnnDataset.Synthetic(options.Int("--n", 200_000), options.Int("--queries", 1000), options.Int("--dim", 128), K, seed: 5),
        var other => throw new ArgumentException($"unknown data set '{other}' (fasttext, synthetic)"),
    };

    private static List<double> Repeat(Options options, Func<double> trial)
    {
        trial();
        return [.. Enumerable.Range(0, options.Int("--trials", 5)).Select(_ => trial())];
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string Join(List<double> values) => string.Join(", ", values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)));

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static int Usage()
    {
        Console.Error.WriteLine("usage: engine exact|hnsw|shards|stream|ingest [--merge true|false] [--n N] [--dim D] [--data synthetic|fasttext] [--shards 1,2] [--ef 16,...] [--spec HNSW32] [--store postgres|sqlite]");
        return 2;
    }

    /// <summary>An engine over a throwaway store (SQLite in a temp folder, or a PostgreSQL database from RETRIEVAL_TEST_POSTGRES).</summary>
    private sealed class Bench : IAsyncDisposable
    {
        private readonly string _directory;
        private readonly Func<Task> _cleanup;

        private Bench(RetrievalEngine engine, string directory, Func<Task> cleanup)
        {
            Engine = engine;
            _directory = directory;
            _cleanup = cleanup;
        }

        public RetrievalEngine Engine { get; }

        public static async Task<Bench> OpenAsync(IndexingOptions indexing, string store = "sqlite")
        {
            var directory = Path.Combine(Path.GetTempPath(), "retrieval-engine-bench", Guid.NewGuid().ToString("N"));
            IRetrievalStore opened;
            Func<Task> cleanup = () => Task.CompletedTask;
            if (store == "postgres")
            {
                var server = Environment.GetEnvironmentVariable("RETRIEVAL_TEST_POSTGRES")
                    ?? throw new InvalidOperationException("RETRIEVAL_TEST_POSTGRES is not set (eval \"$(tests/postgres/start-throwaway.sh)\")");
                var (connectionString, drop) = await ThrowawayDatabase.CreateAsync(server);
                opened = new PostgresRetrievalStore(connectionString);
                cleanup = drop;
            }
            else
            {
                opened = new SqliteRetrievalStore(directory);
            }

            var engine = new RetrievalEngine(opened, new EngineOptions(), NullLogger<RetrievalEngine>.Instance, indexing);
            await engine.StartAsync(CancellationToken.None);
            return new Bench(engine, directory, cleanup);
        }

        public async Task CreateAsync(int dimension, Metric metric, string? index, int shards)
        {
            SpaceDefinition[] spaces = [new("v", dimension, metric, new ModelRef("bench", "1"), Index: index)];
            if (shards == 1)
            {
                await Engine.CreateCollectionAsync(Collection, spaces, null, CancellationToken.None);
                return;
            }

            // The shard-count overload exists only in builds with shards; found by reflection so this file also builds against older engines.
            var create = typeof(RetrievalEngine).GetMethod(
                nameof(RetrievalEngine.CreateCollectionAsync),
                [typeof(string), typeof(IReadOnlyList<SpaceDefinition>), typeof(string), typeof(bool), typeof(int), typeof(CancellationToken)])
                ?? throw new InvalidOperationException("this engine build has no shards");
            await (Task)create.Invoke(Engine, [Collection, spaces, null, false, shards, CancellationToken.None])!;
        }

        public async Task IngestAsync(Func<int, float[]> row, int count, int batch)
        {
            for (var start = 0; start < count; start += batch)
            {
                var items = Enumerable.Range(start, Math.Min(batch, count - start))
                    .Select(i => new ItemWrite(i.ToString(CultureInfo.InvariantCulture), null, new Dictionary<string, float[]> { ["v"] = row(i) }))
                    .ToList();
                await Engine.UpsertAsync(Collection, items, CancellationToken.None);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Engine.DisposeAsync();
            await _cleanup();
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
    }

    /// <summary>A database of its own on the test server, with the current schema, dropped afterwards.</summary>
    private static class ThrowawayDatabase
    {
        public static async Task<(string ConnectionString, Func<Task> Drop)> CreateAsync(string server)
        {
            // Generated from a GUID, never from input: safe to splice into CREATE/DROP DATABASE.
            var name = "rt_engine_bench_" + Guid.NewGuid().ToString("N");
            await ExecuteAsync(server, $"CREATE DATABASE \"{name}\"");
            var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
            await PostgresSchema.UpgradeAsync(connectionString, CancellationToken.None);
            return (connectionString, () => ExecuteAsync(server, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }

        private static async Task ExecuteAsync(string connectionString, string sql)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    private sealed class Options(string[] args)
    {
        public int Int(string name, int fallback) => Find(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

        public string Text(string name, string fallback) => Find(name) ?? fallback;

        private string? Find(string name)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        }
    }
}
