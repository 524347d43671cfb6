using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Benchmarks.Encoders;
using Retrieval.Contracts.V1;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Engine.Indexes;
using Retrieval.Storage.Sqlite;
using Retrieval.Testing.Server;
using CoreModel = Retrieval.Core.Model;

namespace Retrieval.Benchmarks.Ann;

/// <summary>
/// End to end: the same HNSW32 collection served by the real server binary in a child process (Kestrel, gRPC over
/// loopback, its own runtime settings) and by an in-process engine in this process, at the efSearch where both reach
/// recall@10 ≥ 0.95. Closed loops at each concurrency, interleaved in rounds (in-process, server, in-process, …),
/// give QPS, p50/p99 and the CPU time per request of each process; then an open loop at a fraction of the server's
/// peak measures p50/p99 against intended send times. Server variants (GC and JIT settings as environment
/// variables) restart the child on the same data directory, which loads the snapshot written at shutdown.
/// </summary>
internal static class ServeBenchmark
{
    private const int K = 10;
    private const string Collection = "serve";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = ServeOptions.Parse(args);
        var data = AnnDataset.Synthetic(options.Count, options.Queries, 128, K, seed: 7);
        var spec = options.Index == "none" ? null : $"{options.Index},efConstruction={options.EfConstruction}";
        Console.WriteLine(Inv($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} CPUs, load {File.ReadAllText("/proc/loadavg").Trim()}; {data.Name}, {spec ?? "exact (no index)"}, k={K}"));
        Console.WriteLine(Inv($"load generator: this process ({System.Runtime.GCSettings.IsServerGC switch { true => "Server", false => "workstation" }} GC); server: child process `dotnet Retrieval.Server.dll`"));

        var directory = Path.Combine(Path.GetTempPath(), "retrieval-serve-bench", Guid.NewGuid().ToString("N"));
        var indexing = new IndexingOptions { SealThreshold = options.Count, MaxSegmentVectors = options.Count, HnswEfConstruction = options.EfConstruction, BackgroundOptimizer = false, BuildThreads = Environment.ProcessorCount };
        await using var engine = new RetrievalEngine(new SqliteRetrievalStore(Path.Combine(directory, "engine")), new EngineOptions(), NullLogger<RetrievalEngine>.Instance, indexing);
        await engine.StartAsync(CancellationToken.None);
        await engine.CreateCollectionAsync(Collection, [new CoreModel.SpaceDefinition("v", 128, CoreModel.Metric.L2, new CoreModel.ModelRef("bench", "1"), Index: spec)], null, CancellationToken.None);
        for (var start = 0; start < options.Count; start += 1000)
        {
            var batch = Enumerable.Range(start, Math.Min(1000, options.Count - start))
                .Select(i => new ItemWrite($"{i}", null, new Dictionary<string, float[]> { ["v"] = data.Vectors.AsSpan(i * 128, 128).ToArray() })).ToList();
            await engine.UpsertAsync(Collection, batch, CancellationToken.None);
        }

        var watch = Stopwatch.StartNew();
        engine.RunOptimizerUntilIdle(CancellationToken.None);
        Console.WriteLine(Inv($"in-process: loaded and indexed; build {watch.Elapsed.TotalSeconds:F1} s"));

        var configuration = new ServerConfiguration("sqlite", null, Path.Combine(directory, "server"));
        configuration.Extra["Retrieval:Indexing:SealThreshold"] = options.Count.ToString(CultureInfo.InvariantCulture);
        configuration.Extra["Retrieval:Indexing:MaxSegmentVectors"] = options.Count.ToString(CultureInfo.InvariantCulture);
        configuration.Extra["Retrieval:Indexing:BuildThreads"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);
        var server = await ServerChild.StartAsync(configuration, options.Variants[0].Environment, TimeSpan.FromMinutes(2));
        try
        {
            await LoadServerAsync(server, data, spec, options.Count);
            var ef = ChooseEf(engine, data);
            var engineRecall = EngineRecall(engine, data, ef);
            var serverRecall = await ServerRecallAsync(new Search.SearchClient(server.Channel), data, ef);
            Console.WriteLine(Inv($"efSearch {ef}: recall@10 in-process {engineRecall:F3}, server {serverRecall:F3}"));
            for (var v = 0; v < options.Variants.Count; v++)
            {
                if (v > 0)
                {
                    // Same data directory: the child loads the snapshot its predecessor wrote at shutdown. With
                    // --fresh-server each variant starts on an empty directory and is loaded anew instead.
                    await server.DisposeAsync();
                    configuration.RenewPorts();
                    if (options.FreshServer)
                    {
                        var fresh = new ServerConfiguration("sqlite", null, Path.Combine(directory, $"server{v}"));
                        foreach (var (key, value) in configuration.Extra)
                        {
                            fresh.Extra[key] = value;
                        }

                        configuration = fresh;
                    }

                    server = await ServerChild.StartAsync(configuration, options.Variants[v].Environment, TimeSpan.FromMinutes(5));
                    if (options.FreshServer)
                    {
                        await LoadServerAsync(server, data, spec, options.Count);
                    }
                }

                await MeasureVariantAsync(options, options.Variants[v], engine, server, data, ef);
            }
        }
        finally
        {
            await server.DisposeAsync();
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind is harmless.
        }

        return 0;
    }

    private static async Task MeasureVariantAsync(ServeOptions options, ServerVariant variant, RetrievalEngine engine, ServerChild server, AnnDataset data, int ef)
    {
        var client = new Search.SearchClient(server.Channel);
        var requests = Enumerable.Range(0, data.QueryCount).Select(q => Request(data, q, ef)).ToArray();
        var queries = Enumerable.Range(0, data.QueryCount).Select(q => Query(data, q, ef)).ToArray();
        Func<int, Task> inProcess = q =>
        {
            engine.Search(Collection, queries[q % queries.Length]);
            return Task.CompletedTask;
        };
        Func<int, Task> overGrpc = q => client.SearchAsync(requests[q % requests.Length]).ResponseAsync;
        var restBodies = requests.Select(r => System.Text.Encoding.UTF8.GetBytes(Google.Protobuf.JsonFormatter.Default.Format(r))).ToArray();
        var restPath = new Uri($"/v1/collections/{Collection}:search", UriKind.Relative);
        Func<int, Task> overRest = async q =>
        {
            using var content = new ByteArrayContent(restBodies[q % restBodies.Length]);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await server.Rest.PostAsync(restPath, content);
            response.EnsureSuccessStatusCode();
            _ = await response.Content.ReadAsByteArrayAsync();
        };

        Console.WriteLine();
        Console.WriteLine(Inv($"### server variant: {variant.Name} (load {File.ReadAllText("/proc/loadavg").Trim()})"));
        // Warm-up: both JITs reach their optimized tiers before anything is timed.
        await LoadGenerator.ClosedLoopAsync(options.Concurrency.Max(), options.WarmupSeconds, inProcess);
        await LoadGenerator.ClosedLoopAsync(options.Concurrency.Max(), options.WarmupSeconds, overGrpc);
        if (options.Rest)
        {
            await LoadGenerator.ClosedLoopAsync(options.Concurrency.Max(), options.WarmupSeconds, overRest);
        }

        var inRuns = options.Concurrency.ToDictionary(c => c, _ => new List<SideRun>());
        var serverRuns = options.Concurrency.ToDictionary(c => c, _ => new List<SideRun>());
        var restRuns = options.Concurrency.ToDictionary(c => c, _ => new List<SideRun>());
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var c in options.Concurrency)
            {
                inRuns[c].Add(await MeasureAsync(() => LoadGenerator.ClosedLoopAsync(c, options.Seconds, inProcess), null));
                serverRuns[c].Add(await MeasureAsync(() => LoadGenerator.ClosedLoopAsync(c, options.Seconds, overGrpc), server));
                if (options.Rest)
                {
                    restRuns[c].Add(await MeasureAsync(() => LoadGenerator.ClosedLoopAsync(c, options.Seconds, overRest), server));
                }
            }
        }

        Console.WriteLine(Inv($"closed loop, {options.Seconds} s per point, median of {options.Rounds} interleaved rounds; CPU ms per request: in-process = this process (the search's own cost); server = server process + client (this process)"));
        Console.WriteLine("engine ms/q: wall-clock time inside the engine's search per call (the server's retrieval_search_engine_seconds; NaN for builds without it)");
        Console.WriteLine("| path | concurrency | in-process QPS | p50 ms | p99 ms | CPU ms/q | server QPS | p50 ms | p99 ms | server CPU ms/q | engine ms/q | client CPU ms/q | server / in-process |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (path, runs) in options.Rest ? new[] { ("gRPC", serverRuns), ("REST", restRuns) } : [("gRPC", serverRuns)])
        {
            foreach (var c in options.Concurrency)
            {
                var i = Median(inRuns[c]);
                var s = Median(runs[c]);
                Console.WriteLine(Inv($"| {path} | {c} | {i.Qps:F0} | {i.P50:F3} | {i.P99:F3} | {i.ClientCpuPerRequest:F3} | {s.Qps:F0} | {s.P50:F3} | {s.P99:F3} | {s.ServerCpuPerRequest:F3} | {s.EngineMsPerRequest:F3} | {s.ClientCpuPerRequest:F3} | {s.Qps / i.Qps:F2}× |"));
            }
        }

        // Allocations: the runtime's counters reach /metrics on the exporter's schedule, not at each scrape, so each
        // path gets its own window between two idle pauses longer than that schedule (the idle server allocates next to nothing).
        foreach (var (path, call) in options.Rest ? new[] { ("gRPC", overGrpc), ("REST", overRest) } : [("gRPC", overGrpc)])
        {
            await Task.Delay(MetricsSettle);
            var before = await server.ScrapeAsync();
            var run = await LoadGenerator.ClosedLoopAsync(options.Concurrency.Max(), options.Seconds * 2, call);
            await Task.Delay(MetricsSettle);
            var after = await server.ScrapeAsync();
            var calls = Math.Max(1, run.Latency.Count);
            Console.WriteLine(Inv(
                $"server allocations, {path}, concurrency {options.Concurrency.Max()}, {calls} calls: {(after.AllocatedBytes - before.AllocatedBytes) / calls / 1024:F2} KB per call; {after.Gen2Collections - before.Gen2Collections:F0} gen2 collections; searches answered in micro-batches: {after.Coalesced - before.Coalesced:F0} ({(after.Coalesced - before.Coalesced) / calls:P1})"));
        }

        var inPeak = options.Concurrency.Max(c => Median(inRuns[c]).Qps);
        if (options.Batch > 1)
        {
            // The same queries, options.Batch per SearchBatch call: the per-call cost of gRPC and HTTP/2 is shared.
            var batches = Enumerable.Range(0, data.QueryCount).Select(q =>
            {
                var batch = new SearchBatchRequest { Collection = Collection };
                batch.Searches.Add(Enumerable.Range(q, options.Batch).Select(i => Request(data, i, ef)));
                return batch;
            }).ToArray();
            foreach (var c in new[] { 1, options.Concurrency.Max() })
            {
                var run = await MeasureAsync(() => LoadGenerator.ClosedLoopAsync(c, options.Seconds, q => client.SearchBatchAsync(batches[q % batches.Length]).ResponseAsync), server);
                Console.WriteLine(Inv($"server, SearchBatch of {options.Batch}, concurrency {c}: {run.Qps * options.Batch:F0} queries/s ({run.Qps * options.Batch / inPeak:F2}× the in-process peak); per call p50 {run.P50:F3} ms, p99 {run.P99:F3} ms; CPU ms per query: server {run.ServerCpuPerRequest / options.Batch:F3}, client {run.ClientCpuPerRequest / options.Batch:F3}"));
            }
        }

        var serverPeak = options.Concurrency.Max(c => Median(serverRuns[c]).Qps);
        Console.WriteLine(Inv($"peak QPS: in-process {inPeak:F0}, server {serverPeak:F0}: server / in-process {serverPeak / inPeak:F2}×"));

        if (!options.OpenLoop)
        {
            return;
        }

        var rate = serverPeak * options.OpenFraction;
        foreach (var (side, call, child) in new[] { ("server", overGrpc, server), ("in-process", inProcess, (ServerChild?)null) })
        {
            var open = await MeasureAsync(() => LoadGenerator.OpenLoopAsync(rate, options.Seconds * 2, maxOutstanding: 10_000, side == "server" ? call : q => Task.Run(() => call(q))), child);
            Console.WriteLine(Inv(
                $"open loop, {side}, {rate:F0} QPS offered ({options.OpenFraction:P0} of the server's peak), {open.Qps:F0} achieved, {open.Dropped} not sent: p50 {open.P50:F3} ms, p99 {open.P99:F3} ms, p99/p50 {open.P99 / open.P50:F2}; pacer lateness p50 {open.LatenessP50:F3} ms, p99 {open.LatenessP99:F3} ms; CPU ms/request: server {open.ServerCpuPerRequest:F3}, client {open.ClientCpuPerRequest:F3}"));
        }
    }

    /// <summary>Longer than the metrics exporter's publishing interval for observable (runtime) instruments.</summary>
    private static readonly TimeSpan MetricsSettle = TimeSpan.FromSeconds(11);

    private static async Task<SideRun> MeasureAsync(Func<Task<LoadResult>> run, ServerChild? server)
    {
        // The scrape before the clocks start and the one after they stop (the engine's own counters are published as
        // they change).
        var countersBefore = server is null ? null : await server.ScrapeAsync();
        var clientBefore = ProcessCpu.Milliseconds();
        var serverBefore = server?.CpuMilliseconds() ?? 0;
        var result = await run();
        var requests = Math.Max(1, result.Latency.Count);
        var client = (ProcessCpu.Milliseconds() - clientBefore) / requests;
        var serverCpu = server is null ? double.NaN : (server.CpuMilliseconds() - serverBefore) / requests;
        var countersAfter = server is null ? null : await server.ScrapeAsync();
        return new SideRun(
            result.Qps, result.Latency.Percentile(0.5), result.Latency.Percentile(0.99), client, serverCpu,
            result.SendLateness?.Percentile(0.5) ?? double.NaN, result.SendLateness?.Percentile(0.99) ?? double.NaN, result.Dropped)
        {
            EngineMsPerRequest = countersAfter is null ? double.NaN : (countersAfter.EngineSeconds - countersBefore!.EngineSeconds) * 1000 / requests,
        };
    }

    private static SideRun Median(List<SideRun> runs) => runs.OrderBy(r => r.Qps).ElementAt(runs.Count / 2);

    private static async Task LoadServerAsync(ServerChild server, AnnDataset data, string? spec, int n)
    {
        var collections = new Collections.CollectionsClient(server.Channel);
        var items = new Items.ItemsClient(server.Channel);
        var create = new CreateCollectionRequest { Name = Collection };
        create.Spaces.Add(new Space { Name = "v", Dimension = 128, Metric = Metric.L2, Model = new ModelRef { Name = "bench", Version = "1" }, Index = spec ?? "" });
        await collections.CreateCollectionAsync(create);
        for (var start = 0; start < n; start += 1000)
        {
            var request = new UpsertItemsRequest { Collection = Collection };
            for (var i = start; i < Math.Min(n, start + 1000); i++)
            {
                request.Items.Add(new Item { Id = $"{i}", Vectors = { ["v"] = new Vector { Values = { data.Vectors.AsSpan(i * 128, 128).ToArray() } } } });
            }

            await items.UpsertItemsAsync(request);
        }

        var watch = Stopwatch.StartNew();
        while (spec is not null && (await collections.GetSpaceIndexStatusAsync(new GetSpaceIndexStatusRequest { Collection = Collection, Space = "v" })).IndexedVectors < n)
        {
            await Task.Delay(500);
        }

        Console.WriteLine(Inv($"server: loaded and indexed ({watch.Elapsed.TotalSeconds:F0} s after the last write)"));
    }

    private static int ChooseEf(RetrievalEngine engine, AnnDataset data)
    {
        var ef = 16;
        while (EngineRecall(engine, data, ef) < 0.95 && ef < 512)
        {
            ef *= 2;
        }

        return ef;
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

    private static async Task<double> ServerRecallAsync(Search.SearchClient client, AnnDataset data, int ef)
    {
        var ids = new long[data.QueryCount * K];
        for (var q = 0; q < data.QueryCount; q++)
        {
            var hits = (await client.SearchAsync(Request(data, q, ef))).Hits;
            for (var i = 0; i < K; i++)
            {
                ids[(q * K) + i] = i < hits.Count ? long.Parse(hits[i].Id, CultureInfo.InvariantCulture) : -1;
            }
        }

        return data.Recall(ids, K);
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One side's run: medians are taken over these.</summary>
    private sealed record SideRun(double Qps, double P50, double P99, double ClientCpuPerRequest, double ServerCpuPerRequest, double LatenessP50, double LatenessP99, int Dropped)
    {
        public double EngineMsPerRequest { get; init; } = double.NaN;
    }
}
