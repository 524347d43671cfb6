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
/// Usage: <c>server-ingest --store sqlite|postgres [--n 100000] [--dim 128] [--batch 1000] [--modes stream1,stream4,unary4]
/// [--grouping on,off] [--breakdown true]</c>; PostgreSQL takes the server from RETRIEVAL_TEST_POSTGRES and works in
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

        await using (var store = await FreshStoreAsync(options.Store, admin))
        {
            var watch = Stopwatch.StartNew();
            var now = DateTimeOffset.UtcNow;
            await store.Store.CreateCollectionAsync(new CollectionDefinition("bench", [Space(options.Dimension)], "v", now, now), CancellationToken.None);
            foreach (var batch in batches)
            {
                await store.Store.WriteAsync("bench", WriteBatch.ForUpserts(batch), CancellationToken.None);
            }

            Report("store, 1 writer (the durable rate)", options.Items, watch.Elapsed);
        }

        if (options.Breakdown)
        {
            foreach (var writers in new[] { 1, 4 })
            {
                await using var store = await FreshStoreAsync(options.Store, admin, open: false);
                await InProcessAsync(store.Store, batches, options, writers);
            }
        }

        foreach (var grouping in options.Grouping)
        {
            await using var store = await FreshStoreAsync(options.Store, admin, open: false);
            var configuration = new ServerConfiguration(options.Store, store.ConnectionString, store.Directory);
            if (!grouping)
            {
                configuration.Extra["Retrieval:Limits:GroupCommit:MaxBatches"] = "1";
            }

            await using var server = await ServerChild.StartAsync(configuration, new Dictionary<string, string>(), TimeSpan.FromMinutes(2));
            var collections = new Collections.CollectionsClient(server.Channel);
            var items = new Items.ItemsClient(server.Channel);
            var requests = batches.Select(ToRequest).ToList();
            // A warm-up collection first, through every mode, so that no timed mode pays for the server's JIT.
            foreach (var mode in options.Modes.Prepend("warmup"))
            {
                var name = "bench_" + mode;
                await collections.CreateCollectionAsync(new CreateCollectionRequest
                {
                    Name = name,
                    Spaces = { new Contracts.V1.Space { Name = "v", Dimension = options.Dimension, Metric = Contracts.V1.Metric.InnerProduct, Model = new Contracts.V1.ModelRef { Name = "bench", Version = "1" } } },
                });
                foreach (var request in requests)
                {
                    request.Collection = name;
                }

                var cpu0 = server.CpuMilliseconds();
                var watch = Stopwatch.StartNew();
                var written = mode switch
                {
                    "warmup" => await StreamsAsync(items, requests[..Math.Min(10, requests.Count)], 1)
                        + await StreamsAsync(items, requests[..Math.Min(10, requests.Count)], 4)
                        + await UnaryAsync(items, requests[..Math.Min(10, requests.Count)], 4),
                    "stream1" => await StreamsAsync(items, requests, 1),
                    "stream4" => await StreamsAsync(items, requests, 4),
                    "unary4" => await UnaryAsync(items, requests, 4),
                    _ => throw new ArgumentException($"unknown mode '{mode}' (stream1, stream4, unary4)"),
                };
                var elapsed = watch.Elapsed;
                var cpu = TimeSpan.FromMilliseconds(server.CpuMilliseconds() - cpu0);
                if (mode == "warmup")
                {
                    continue;
                }

                Report(string.Create(CultureInfo.InvariantCulture, $"server {mode}, group commit {(grouping ? "on" : "off")} (server CPU {cpu.TotalSeconds:F1} s)"), written, elapsed);
            }
        }

        return 0;
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
            await inFlight.WaitAsync();
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
        await using var engine = new RetrievalEngine(store, new EngineOptions(), NullLogger<RetrievalEngine>.Instance);
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

    private sealed record Options(string Store, int Items, int Dimension, int Batch, IReadOnlyList<string> Modes, IReadOnlyList<bool> Grouping, bool Breakdown)
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
                bool.Parse(Get("breakdown", "true")));
        }
    }
}
