using System.Diagnostics;
using Npgsql;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Storage.Postgres;
using Retrieval.Storage.Sqlite;

namespace Retrieval.Benchmarks;

/// <summary>
/// Durable ingest into a store of record, then a full change-feed load, timed with a stopwatch (each write is
/// an fsync'ed commit, so BenchmarkDotNet's many-iteration model does not fit).
/// Usage: <c>store-ingest sqlite|postgres [items=200000] [dimension=128] [batch=1000]</c>; PostgreSQL takes the
/// server from RETRIEVAL_TEST_POSTGRES and works in a throwaway database it drops afterwards.
/// </summary>
internal static class StoreIngestBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 1 || args[0] is not ("sqlite" or "postgres"))
        {
            await Console.Error.WriteLineAsync("usage: store-ingest sqlite|postgres [items] [dimension] [batch]");
            return 2;
        }

        var items = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
        var dimension = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 128;
        var batchSize = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1000;

        return args[0] == "sqlite"
            ? await RunSqliteAsync(items, dimension, batchSize)
            : await RunPostgresAsync(items, dimension, batchSize);
    }

    private static async Task<int> RunSqliteAsync(int items, int dimension, int batchSize)
    {
        var directory = Path.Combine(Path.GetTempPath(), "retrieval-ingest-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var store = new SqliteRetrievalStore(directory);
            await store.OpenAsync(CancellationToken.None);
            await MeasureAsync(store, items, dimension, batchSize);
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<int> RunPostgresAsync(int items, int dimension, int batchSize)
    {
        var admin = Environment.GetEnvironmentVariable("RETRIEVAL_TEST_POSTGRES");
        if (string.IsNullOrEmpty(admin))
        {
            await Console.Error.WriteLineAsync("set RETRIEVAL_TEST_POSTGRES (tests/postgres/start-throwaway.sh prints one)");
            return 2;
        }

        // Generated from a GUID, never from input: safe to splice into CREATE/DROP DATABASE.
        var name = "rt_bench_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(admin, $"CREATE DATABASE \"{name}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        try
        {
            await PostgresSchema.UpgradeAsync(connectionString, CancellationToken.None);
            await using var store = new PostgresRetrievalStore(connectionString);
            await store.OpenAsync(CancellationToken.None);
            await MeasureAsync(store, items, dimension, batchSize);
            return 0;
        }
        finally
        {
            await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        }
    }

    private static async Task MeasureAsync(IRetrievalStore store, int items, int dimension, int batchSize)
    {
        var now = DateTimeOffset.UtcNow;
        var space = new SpaceDefinition("v", dimension, Metric.InnerProduct, new ModelRef("bench", "1"));
        await store.CreateCollectionAsync(new CollectionDefinition("bench", [space], "v", now, now), CancellationToken.None);

        // Vectors are generated up front so that only the store is timed.
        var random = new Random(42);
        var batches = Enumerable.Range(0, (items + batchSize - 1) / batchSize)
            .Select(b => (IReadOnlyList<ItemWrite>)Enumerable.Range(b * batchSize, Math.Min(batchSize, items - (b * batchSize)))
                .Select(i => new ItemWrite($"item-{i}", null, new Dictionary<string, float[]> { ["v"] = RandomVector(random, dimension) }))
                .ToList())
            .ToList();

        // Phase marks (wall-clock ms) on stderr let an outside sampler attribute server CPU to the ingest phase.
        await Console.Error.WriteLineAsync($"phase ingest-start {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var write = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            await store.WriteAsync("bench", WriteBatch.ForUpserts(batch), CancellationToken.None);
        }

        write.Stop();
        var writeCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        await Console.Error.WriteLineAsync($"phase ingest-end {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");

        var read = Stopwatch.StartNew();
        var loaded = 0;
        await foreach (var change in store.ReadChangesAsync("bench", 0, CancellationToken.None))
        {
            loaded += change.Item is null ? 0 : 1;
        }

        read.Stop();
        Console.WriteLine(
            $"{store.Kind}: ingest {items} vectors d={dimension} in batches of {batchSize}: {write.Elapsed.TotalSeconds:F2} s = " +
            $"{items / write.Elapsed.TotalSeconds:F0} vectors/s (client CPU {writeCpu.TotalSeconds:F2} s); full load {loaded} items: {read.Elapsed.TotalSeconds:F2} s = " +
            $"{loaded / read.Elapsed.TotalSeconds:F0} items/s");
    }

    private static float[] RandomVector(Random random, int dimension)
    {
        var vector = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            vector[i] = random.NextSingle() - 0.5f;
        }

        return vector;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
