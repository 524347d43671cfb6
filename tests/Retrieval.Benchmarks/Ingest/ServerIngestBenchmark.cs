using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Retrieval.Benchmarks.Ann;
using Retrieval.Contracts.V1;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Storage.Postgres;
using Retrieval.Storage.Sqlite;
using Retrieval.Testing.Server;

namespace Retrieval.Benchmarks.Ingest;

/// <summary>
/// Issue 16 item 4: durable ingest through the server against the store's own durable rate, in one run on the same data.
/// <list type="number">
/// <item>the store: the same batches written one after another straight into a fresh store (one fsync'ed commit each);</item>
/// <item>the engine in process (no gRPC), 1 and 4 writers, with the time of each write step summed from the engine's
/// trace spans (encode, commit, apply; the rest of a call's time is waiting for the gate or for a group);</item>
/// <item>the server binary in a child process over gRPC, with group commit on and off: one upsert stream (4 batches in
/// flight, as the CLI), 4 streams, and 4 concurrent unary callers.</item>
/// </list>
/// Every peer is up at once and the rounds interleave them; the summary gives each one's median and its ratio to the
/// store's. Usage: <c>server-ingest --store sqlite|postgres [--n 100000] [--dim 128] [--batch 1000]
/// [--modes stream1,stream4,unary4] [--grouping on,off] [--breakdown true] [--rounds 3]</c>; PostgreSQL takes the server from RETRIEVAL_TEST_POSTGRES and works in
/// throwaway databases it drops afterwards.
/// </summary>
internal static class ServerIngestBenchmark
{
    private const int StreamWindow = 4;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        var admin = Environment.GetEnvironmentVariable("RETRIEVAL_TEST_POSTGRES");
        if (options.Store == "postgres" && string.IsNullOrEmpty(admin))
        {
            await Console.Error.WriteLineAsync("set RETRIEVAL_TEST_POSTGRES (tests/postgres/start-throwaway.sh prints one)");
            return 2;
        }

        var batches = MakeBatches(options);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# server-ingest {options.Store}: {options.Items} vectors d={options.Dimension}, batches of {options.Batch}; {Environment.ProcessorCount} cores, load {LoadAverage()}"));

        if (options.Breakdown)
        {
            foreach (var writers in new[] { 1, 4 })
            {
                await using var store = await FreshStoreAsync(options.Store, admin, open: false);
                await InProcessAsync(store.Store, batches, options, writers);
            }
        }

        // Every peer is up at once and the rounds interleave them (store, then each mode on each server), so that the
        // machine's load swings spread over all of them alike; the summary takes each one's median.
        var fresh = new List<FreshStore>();
        var servers = new List<(string Name, ServerChild Server)>();
        var rates = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        try
        {
            var direct = await FreshStoreAsync(options.Store, admin);
            fresh.Add(direct);
            foreach (var grouping in options.Grouping)
            {
                var store = await FreshStoreAsync(options.Store, admin, open: false);
                fresh.Add(store);
                var configuration = new ServerConfiguration(options.Store, store.ConnectionString, store.Directory);
                configuration.Extra["Retrieval:Limits:GroupCommit:MaxBatches"] = grouping ? "64" : "1";

                var server = await ServerChild.StartAsync(configuration, new Dictionary<string, string>(), TimeSpan.FromMinutes(2));
                servers.Add(($"group commit {(grouping ? "on" : "off")}", server));
                // A warm-up through every mode, so that no timed run pays for the server's JIT.
                foreach (var mode in options.Modes)
                {
                    await IngestAsync(server, mode, "warmup", batches[..Math.Min(12, batches.Count)], options.Dimension);
                }
            }

            for (var round = 1; round <= options.Rounds; round++)
            {
                var watch = Stopwatch.StartNew();
                var now = DateTimeOffset.UtcNow;
                var name = $"bench_{round}";
                await direct.Store.CreateCollectionAsync(new CollectionDefinition(name, [Space(options.Dimension)], "v", now, now), CancellationToken.None);
                foreach (var batch in batches)
                {
                    await direct.Store.WriteAsync(name, WriteBatch.ForUpserts(batch), CancellationToken.None);
                }

                Record(rates, "store, 1 writer (the durable rate)", round, options.Items, watch.Elapsed, null);
                await direct.Store.DeleteCollectionAsync(name, CancellationToken.None);
                foreach (var mode in options.Modes)
                {
                    foreach (var (serverName, server) in servers)
                    {
                        var cpu0 = server.CpuMilliseconds();
                        watch.Restart();
                        var written = await IngestAsync(server, mode, $"r{round}", batches, options.Dimension);
                        var elapsed = watch.Elapsed;
                        Record(rates, $"server {mode}, {serverName}", round, written, elapsed, TimeSpan.FromMilliseconds(server.CpuMilliseconds() - cpu0));
                    }
                }
            }
        }
        finally
        {
            foreach (var (_, server) in servers)
            {
                await server.DisposeAsync();
            }

            foreach (var store in fresh)
            {
                await store.DisposeAsync();
            }
        }

        var storeRate = Median(rates.First().Value);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"## medians of {options.Rounds} rounds (load now {LoadAverage()})"));
        foreach (var (what, values) in rates)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{what}: {Median(values):F0} vectors/s = {Median(values) / storeRate:F2}× the store (rounds {string.Join(", ", values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))})"));
        }

        return 0;
    }

    /// <summary>Ingests the batches into a new collection of the server through one mode, then drops it.</summary>
    private static async Task<long> IngestAsync(ServerChild server, string mode, string suffix, List<List<ItemWrite>> batches, int dimension)
    {
        var collections = new Collections.CollectionsClient(server.Channel);
        var items = new Items.ItemsClient(server.Channel);
        var name = $"bench_{mode}_{suffix}";
        await collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = name,
            Spaces = { new Contracts.V1.Space { Name = "v", Dimension = dimension, Metric = Contracts.V1.Metric.InnerProduct, Model = new Contracts.V1.ModelRef { Name = "bench", Version = "1" } } },
        });
        var requests = batches.Select(ToRequest).ToList();
        requests.ForEach(r => r.Collection = name);
        var written = mode switch
        {
            "stream1" => await StreamsAsync(items, requests, 1),
            "stream4" => await StreamsAsync(items, requests, 4),
            "unary1" => await UnaryAsync(items, requests, 1),
            "unary4" => await UnaryAsync(items, requests, 4),
            _ => throw new ArgumentException($"unknown mode '{mode}' (stream1, stream4, unary1, unary4)"),
        };
        await collections.DeleteCollectionAsync(new DeleteCollectionRequest { Name = name });
        return written;
    }

    private static void Record(Dictionary<string, List<double>> rates, string what, int round, long items, TimeSpan elapsed, TimeSpan? serverCpu)
    {
        var rate = items / elapsed.TotalSeconds;
        if (!rates.TryGetValue(what, out var values))
        {
            rates[what] = values = [];
        }

        values.Add(rate);
        var cpu = serverCpu is { } c ? string.Create(CultureInfo.InvariantCulture, $", server CPU {c.TotalSeconds:F2} s") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round} {what}: {items} vectors in {elapsed.TotalSeconds:F2} s = {rate:F0} vectors/s{cpu}"));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static async Task<long> StreamsAsync(Items.ItemsClient items, List<UpsertItemsRequest> requests, int streams)
    {
        var shares = Enumerable.Range(0, streams).Select(s => requests.Where((_, i) => i % streams == s).ToList()).ToList();
        var counts = await Task.WhenAll(shares.Select(share => Task.Run(() => StreamAsync(items, share))));
        return counts.Sum();
    }

    /// <summary>One upsert stream with <see cref="StreamWindow"/> batches in flight; checks that sequences increase.</summary>
    private static async Task<long> StreamAsync(Items.ItemsClient items, List<UpsertItemsRequest> requests)
    {
        using var call = items.StreamUpsertItems();
        var inFlight = new SemaphoreSlim(StreamWindow);
        var reader = Task.Run(async () =>
        {
            long count = 0, last = 0;
            await foreach (var response in call.ResponseStream.ReadAllAsync())
            {
                if (response.Sequence <= last)
                {
                    throw new InvalidOperationException($"sequence {response.Sequence} after {last} on one stream");
                }

                last = response.Sequence;
                count += response.Upserted;
                inFlight.Release();
            }

            return count;
        });
        foreach (var request in requests)
        {
            // A failed stream ends its answers: reported, not waited for.
            if (await Task.WhenAny(inFlight.WaitAsync(), reader) == reader)
            {
                return await reader;
            }

            await call.RequestStream.WriteAsync(request);
        }

        await call.RequestStream.CompleteAsync();
        return await reader;
    }

    private static async Task<long> UnaryAsync(Items.ItemsClient items, List<UpsertItemsRequest> requests, int callers)
    {
        var next = -1;
        var counts = await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            long count = 0;
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests.Count)
            {
                count += (await items.UpsertItemsAsync(requests[i])).Upserted;
            }

            return count;
        })));
        return counts.Sum();
    }

    /// <summary>The engine in process over the store, <paramref name="writers"/> concurrent writers, time per write step.</summary>
    private static async Task InProcessAsync(IRetrievalStore store, List<List<ItemWrite>> batches, Options options, int writers)
    {
        var steps = new Dictionary<string, double>(StringComparer.Ordinal);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Retrieval.Engine",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                lock (steps)
                {
                    steps[activity.OperationName] = steps.GetValueOrDefault(activity.OperationName) + activity.Duration.TotalSeconds;
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var engine = new RetrievalEngine(store, new EngineOptions { GroupCommit = new Retrieval.Engine.Writes.GroupCommitOptions { MaxBatches = 64 } }, NullLogger<RetrievalEngine>.Instance);
        await engine.StartAsync(CancellationToken.None);
        await engine.CreateCollectionAsync("bench", [Space(options.Dimension)], null, CancellationToken.None);
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Count)
            {
                await engine.UpsertAsync("bench", batches[i], CancellationToken.None);
            }
        })));
        var elapsed = watch.Elapsed;
        Report($"engine in process, {writers} writer(s)", options.Items, elapsed);
        lock (steps)
        {
            // Summed over writers: with several writers the calls overlap, so the call total exceeds the wall time.
            Console.WriteLine(string.Join("; ", steps.OrderBy(s => s.Key, StringComparer.Ordinal)
                .Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Value:F2} s"))));
        }
    }

    private static void Report(string what, long items, TimeSpan elapsed) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {items} vectors in {elapsed.TotalSeconds:F2} s = {items / elapsed.TotalSeconds:F0} vectors/s"));

    private static UpsertItemsRequest ToRequest(List<ItemWrite> batch)
    {
        var request = new UpsertItemsRequest();
        foreach (var write in batch)
        {
            request.Items.Add(new Item { Id = write.Id, Vectors = { ["v"] = new Vector { Values = { write.Vectors["v"] } } } });
        }

        return request;
    }

    private static SpaceDefinition Space(int dimension) => new("v", dimension, Core.Model.Metric.InnerProduct, new Core.Model.ModelRef("bench", "1"));

    private static List<List<ItemWrite>> MakeBatches(Options options)
    {
        var random = new Random(42);
        return [.. Enumerable.Range(0, (options.Items + options.Batch - 1) / options.Batch)
            .Select(b => Enumerable.Range(b * options.Batch, Math.Min(options.Batch, options.Items - (b * options.Batch)))
                .Select(i =>
                {
                    var vector = new float[options.Dimension];
                    for (var d = 0; d < vector.Length; d++)
                    {
                        vector[d] = random.NextSingle() - 0.5f;
                    }

                    return new ItemWrite($"item-{i}", null, new Dictionary<string, float[]> { ["v"] = vector });
                })
                .ToList())];
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    /// <summary>A fresh, opened store: a temporary SQLite directory or a throwaway PostgreSQL database.</summary>
    private static async Task<FreshStore> FreshStoreAsync(string kind, string? admin, bool open = true)
    {
        if (kind == "sqlite")
        {
            var directory = Path.Combine(Path.GetTempPath(), "retrieval-server-ingest", Guid.NewGuid().ToString("N"));
            var sqlite = new SqliteRetrievalStore(Path.Combine(directory, "data"));
            if (open)
            {
                await sqlite.OpenAsync(CancellationToken.None);
            }

            return new FreshStore(sqlite, directory, null, null, admin);
        }

        // Generated from a GUID, never from input: safe to splice into CREATE/DROP DATABASE.
        var name = "rt_ingest_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(admin!, $"CREATE DATABASE \"{name}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        await PostgresSchema.UpgradeAsync(connectionString, CancellationToken.None);
        var postgres = new PostgresRetrievalStore(connectionString);
        if (open)
        {
            await postgres.OpenAsync(CancellationToken.None);
        }

        return new FreshStore(postgres, Path.Combine(Path.GetTempPath(), "retrieval-server-ingest", name), connectionString, name, admin);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private sealed record FreshStore(IRetrievalStore Store, string Directory, string? ConnectionString, string? Database, string? Admin) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Store.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            if (Database is not null)
            {
                await ExecuteAsync(Admin!, $"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)");
            }

            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
    }

    private sealed record Options(string Store, int Items, int Dimension, int Batch, IReadOnlyList<string> Modes, IReadOnlyList<bool> Grouping, bool Breakdown, int Rounds)
    {
        public static Options Parse(string[] args)
        {
            string Get(string name, string fallback)
            {
                var at = Array.IndexOf(args, "--" + name);
                return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
            }

            var store = Get("store", "sqlite");
            if (store is not ("sqlite" or "postgres"))
            {
                throw new ArgumentException("--store must be sqlite or postgres");
            }

            return new Options(
                store,
                int.Parse(Get("n", "100000"), CultureInfo.InvariantCulture),
                int.Parse(Get("dim", "128"), CultureInfo.InvariantCulture),
                int.Parse(Get("batch", "1000"), CultureInfo.InvariantCulture),
                Get("modes", "stream1,stream4,unary4").Split(','),
                [.. Get("grouping", "on,off").Split(',').Select(g => g == "on")],
                bool.Parse(Get("breakdown", "true")),
                int.Parse(Get("rounds", "3"), CultureInfo.InvariantCulture));
        }
    }
}
