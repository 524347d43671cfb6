using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Contracts.V1;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Engine.Indexes;
using Retrieval.Storage.Sqlite;
using Retrieval.Testing.Server;
using CoreModel = Retrieval.Core.Model;

namespace Retrieval.Benchmarks.Ann;

/// <summary>
/// End to end: the same HNSW32 collection served by a running server (Kestrel, gRPC over loopback, in this process)
/// and by an in-process engine. A closed-loop load generator with bounded concurrency measures QPS and p50/p99 at the
/// efSearch where both reach recall@10 ≥ 0.95; then an open-loop run at half the server's peak QPS measures p50/p99.
/// </summary>
internal static class ServeBenchmark
{
    private const int K = 10;
    private const string Collection = "serve";

    public static async Task<int> RunAsync(string[] args)
    {
        string Value(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        var n = int.Parse(Value("--n", "100000"), CultureInfo.InvariantCulture);
        var queries = int.Parse(Value("--queries", "1000"), CultureInfo.InvariantCulture);
        var concurrencies = Value("--concurrency", "1,2,4,8").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        var seconds = double.Parse(Value("--seconds", "5"), CultureInfo.InvariantCulture);
        var data = AnnDataset.Synthetic(n, queries, 128, K, seed: 7);
        Console.WriteLine(Inv($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} CPUs, load {File.ReadAllText("/proc/loadavg").Trim()}; {data.Name}, HNSW32, k={K}"));

        var directory = Path.Combine(Path.GetTempPath(), "retrieval-serve-bench", Guid.NewGuid().ToString("N"));
        var indexing = new IndexingOptions { SealThreshold = n, MaxSegmentVectors = n, HnswEfConstruction = 40, BackgroundOptimizer = false };
        await using var engine = new RetrievalEngine(new SqliteRetrievalStore(Path.Combine(directory, "engine")), new EngineOptions(), NullLogger<RetrievalEngine>.Instance, indexing);
        await engine.StartAsync(CancellationToken.None);
        await engine.CreateCollectionAsync(Collection, [new CoreModel.SpaceDefinition("v", 128, CoreModel.Metric.L2, new CoreModel.ModelRef("bench", "1"), Index: "HNSW32")], null, CancellationToken.None);
        for (var start = 0; start < n; start += 1000)
        {
            var batch = Enumerable.Range(start, Math.Min(1000, n - start))
                .Select(i => new ItemWrite($"{i}", null, new Dictionary<string, float[]> { ["v"] = data.Vectors.AsSpan(i * 128, 128).ToArray() })).ToList();
            await engine.UpsertAsync(Collection, batch, CancellationToken.None);
        }

        var watch = Stopwatch.StartNew();
        engine.RunOptimizerUntilIdle(CancellationToken.None);
        Console.WriteLine(Inv($"in-process: loaded and indexed; build {watch.Elapsed.TotalSeconds:F1} s"));

        var configuration = new ServerConfiguration("sqlite", null, Path.Combine(directory, "server"));
        configuration.Extra["Retrieval:Indexing:SealThreshold"] = n.ToString(CultureInfo.InvariantCulture);
        configuration.Extra["Retrieval:Indexing:MaxSegmentVectors"] = n.ToString(CultureInfo.InvariantCulture);
        configuration.Extra["Retrieval:Indexing:HnswEfConstruction"] = "40";
        configuration.Extra["Serilog:MinimumLevel:Default"] = "Warning";
        // The content root is the working directory, which may lack the server's appsettings.json: name the protocols.
        configuration.Extra["Kestrel:Endpoints:Rest:Protocols"] = "Http1";
        configuration.Extra["Kestrel:Endpoints:Grpc:Protocols"] = "Http2";
        await using var server = await InProcessServer.StartAsync(configuration);
        var create = new CreateCollectionRequest { Name = Collection };
        create.Spaces.Add(new Space { Name = "v", Dimension = 128, Metric = Metric.L2, Model = new ModelRef { Name = "bench", Version = "1" }, Index = "HNSW32" });
        await server.Collections.CreateCollectionAsync(create);
        for (var start = 0; start < n; start += 1000)
        {
            var request = new UpsertItemsRequest { Collection = Collection };
            for (var i = start; i < Math.Min(n, start + 1000); i++)
            {
                request.Items.Add(new Item { Id = $"{i}", Vectors = { ["v"] = new Vector { Values = { data.Vectors.AsSpan(i * 128, 128).ToArray() } } } });
            }

            await server.Items.UpsertItemsAsync(request);
        }

        while ((await server.Collections.GetSpaceIndexStatusAsync(new GetSpaceIndexStatusRequest { Collection = Collection, Space = "v" })).IndexedVectors < n)
        {
            await Task.Delay(500);
        }

        Console.WriteLine("server: loaded and indexed");
        var ef = 16;
        double engineRecall;
        while (true)
        {
            engineRecall = EngineRecall(engine, data, ef);
            if (engineRecall >= 0.95 || ef >= 512)
            {
                break;
            }

            ef *= 2;
        }

        var serverRecall = await ServerRecallAsync(server, data, ef);
        Console.WriteLine(Inv($"efSearch {ef}: recall@10 in-process {engineRecall:F3}, server {serverRecall:F3}"));
        Console.WriteLine("| concurrency | in-process QPS | p50 ms | p99 ms | server QPS | p50 ms | p99 ms | server / in-process |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var peak = 0.0;
        foreach (var c in concurrencies)
        {
            var (inQps, inLatency) = await ClosedLoopAsync(c, seconds, q => Task.FromResult(engine.Search(Collection, Query(data, q, ef))));
            var (srvQps, srvLatency) = await ClosedLoopAsync(c, seconds, q => server.Search.SearchAsync(Request(data, q, ef)).ResponseAsync);
            peak = Math.Max(peak, srvQps);
            Console.WriteLine(Inv($"| {c} | {inQps:F0} | {inLatency.Percentile(0.5):F2} | {inLatency.Percentile(0.99):F2} | {srvQps:F0} | {srvLatency.Percentile(0.5):F2} | {srvLatency.Percentile(0.99):F2} | {srvQps / inQps:F2}× |"));
        }

        var (achieved, open) = await OpenLoopAsync(peak / 2, seconds * 2, maxOutstanding: 64, q => server.Search.SearchAsync(Request(data, q, ef)).ResponseAsync);
        Console.WriteLine(Inv($"open loop at half the server's peak ({peak / 2:F0} QPS offered, {achieved:F0} achieved): p50 {open.Percentile(0.5):F2} ms, p99 {open.Percentile(0.99):F2} ms, p99/p50 {open.Percentile(0.99) / open.Percentile(0.5):F2}"));
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // The servers may still hold files for a moment; a temporary directory left behind is harmless.
        }

        return 0;
    }

    private static SearchQuery Query(AnnDataset data, int q, int ef) => new("v", data.Query(q % data.QueryCount).ToArray(), K, EfSearch: ef);

    private static SearchRequest Request(AnnDataset data, int q, int ef) =>
        new() { Collection = Collection, Space = "v", K = K, EfSearch = ef, Vector = new Vector { Values = { data.Query(q % data.QueryCount).ToArray() } } };

    private static double EngineRecall(RetrievalEngine engine, AnnDataset data, int ef)
    {
        var ids = new long[data.QueryCount * K];
        for (var q = 0; q < data.QueryCount; q++)
        {
            var hits = engine.Search(Collection, Query(data, q, ef));
            for (var i = 0; i < K; i++)
            {
                ids[(q * K) + i] = i < hits.Count ? long.Parse(hits[i].Id, CultureInfo.InvariantCulture) : -1;
            }
        }

        return data.Recall(ids, K);
    }

    private static async Task<double> ServerRecallAsync(InProcessServer server, AnnDataset data, int ef)
    {
        var ids = new long[data.QueryCount * K];
        for (var q = 0; q < data.QueryCount; q++)
        {
            var hits = (await server.Search.SearchAsync(Request(data, q, ef))).Hits;
            for (var i = 0; i < K; i++)
            {
                ids[(q * K) + i] = i < hits.Count ? long.Parse(hits[i].Id, CultureInfo.InvariantCulture) : -1;
            }
        }

        return data.Recall(ids, K);
    }

    // C workers, each sending its next request when the previous one answered.
    private static async Task<(double Qps, LatencyRecorder Latency)> ClosedLoopAsync<T>(int concurrency, double seconds, Func<int, Task<T>> call)
    {
        var latency = new LatencyRecorder();
        var next = 0;
        var deadline = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (deadline.Elapsed.TotalSeconds < seconds)
            {
                var started = Stopwatch.GetTimestamp();
                await call(Interlocked.Increment(ref next));
                latency.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })).ToList();
        await Task.WhenAll(workers);
        return (latency.Count / deadline.Elapsed.TotalSeconds, latency);
    }

    // Requests at a fixed rate, at most maxOutstanding in flight; latency counts from the scheduled send time.
    private static async Task<(double Qps, LatencyRecorder Latency)> OpenLoopAsync<T>(double rate, double seconds, int maxOutstanding, Func<int, Task<T>> call)
    {
        var latency = new LatencyRecorder();
        using var slots = new SemaphoreSlim(maxOutstanding, maxOutstanding);
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        var sent = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            var due = sent / rate;
            var wait = due - clock.Elapsed.TotalSeconds;
            if (wait > 0.001)
            {
                await Task.Delay(TimeSpan.FromSeconds(wait));
            }

            await slots.WaitAsync();
            var scheduled = due;
            var q = sent++;
            inFlight.Add(Task.Run(async () =>
            {
                try
                {
                    await call(q);
                    latency.Add((clock.Elapsed.TotalSeconds - scheduled) * 1000);
                }
                catch (RpcException)
                {
                    latency.Add(double.PositiveInfinity);
                }
                finally
                {
                    slots.Release();
                }
            }));
        }

        await Task.WhenAll(inFlight);
        return (latency.Count / clock.Elapsed.TotalSeconds, latency);
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
