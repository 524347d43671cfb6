using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Engine.Replication;
using Retrieval.Storage.Postgres;

namespace Retrieval.Benchmarks.Cluster;

/// <summary>
/// How long after node A acknowledges a write node B answers with it: two engines over one throwaway PostgreSQL
/// database, each following the store as a cluster node does (its own connections, its own LISTEN connection), A
/// writing one batch at a time at random intervals and B's item lookup polled in a tight loop from the moment A's
/// write returns. Modes: notices on (LISTEN/NOTIFY, with the 1 s poll behind them) and poll only. The peer in the
/// same run is A's own acknowledgement latency (commit and apply; read-your-writes on A is immediate).
/// Usage: <c>cluster-visibility [--writes 300] [--poll-writes 60] [--batch 10] [--dim 128] [--poll-ms 1000]</c>;
/// the server comes from RETRIEVAL_TEST_POSTGRES.
/// </summary>
internal static class VisibilityBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var admin = Environment.GetEnvironmentVariable("RETRIEVAL_TEST_POSTGRES");
        if (string.IsNullOrEmpty(admin))
        {
            await Console.Error.WriteLineAsync("set RETRIEVAL_TEST_POSTGRES (tests/postgres/start-throwaway.sh prints one)");
            return 2;
        }

        var writes = Option(args, "--writes", 300);
        var pollWrites = Option(args, "--poll-writes", 60);
        var batch = Option(args, "--batch", 10);
        var dimension = Option(args, "--dim", 128);
        var pollMs = Option(args, "--poll-ms", 1000);

        // Generated from a GUID, never from input: safe to splice into CREATE/DROP DATABASE.
        var name = "rt_bench_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(admin, $"CREATE DATABASE \"{name}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        try
        {
            await PostgresSchema.UpgradeAsync(connectionString, CancellationToken.None);
            Console.WriteLine($"# cluster-visibility: {Environment.ProcessorCount} cores, load {LoadAverage()}, batch {batch} × {dimension}-d, poll {pollMs} ms");
            Console.WriteLine("| mode | writes | ack p50 ms | ack p99 ms | visible on B p50 ms | p99 ms | max ms | p50 / ack p50 |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            await MeasureAsync(connectionString, "notices (LISTEN/NOTIFY) + poll", new StoreFollowOptions { PollIntervalMilliseconds = pollMs }, writes, batch, dimension);
            await MeasureAsync(connectionString, "poll only", new StoreFollowOptions { PollIntervalMilliseconds = pollMs, Listen = false }, pollWrites, batch, dimension);
            return 0;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        }
    }

    private static async Task MeasureAsync(string connectionString, string mode, StoreFollowOptions follow, int writes, int batch, int dimension)
    {
        var collection = "vis_" + Guid.NewGuid().ToString("N")[..8];
        await using var a = await StartAsync(connectionString, follow);
        await using var b = await StartAsync(connectionString, follow);
        await a.CreateCollectionAsync(collection, [new SpaceDefinition("v", dimension, Metric.InnerProduct, new ModelRef("bench", "1"))], null, CancellationToken.None);
        await b.FollowStoreNowAsync();
        var random = new Random(42);
        var ack = new List<double>(writes);
        var visible = new List<double>(writes);
        for (var w = 0; w < writes; w++)
        {
            var items = Enumerable.Range(0, batch)
                .Select(i => new ItemWrite($"w{w}-{i}", null, new Dictionary<string, float[]> { ["v"] = [.. Enumerable.Range(0, dimension).Select(_ => (float)random.NextDouble())] }))
                .ToList();
            // Random spacing, so that poll-only writes land at every phase of the poll.
            await Task.Delay(random.Next(0, 50));
            var sent = Stopwatch.StartNew();
            await a.UpsertAsync(collection, items, CancellationToken.None);
            ack.Add(sent.Elapsed.TotalMilliseconds);
            var acknowledged = Stopwatch.StartNew();
            var last = items[^1].Id;
            while (b.GetItems(collection, [last], withVectors: false).Count == 0)
            {
                Thread.Sleep(0);
                if (acknowledged.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException($"write {w} not visible on B after 30 s");
                }
            }

            visible.Add(acknowledged.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {mode} | {writes} | {Percentile(ack, 0.5):F2} | {Percentile(ack, 0.99):F2} | {Percentile(visible, 0.5):F2} | {Percentile(visible, 0.99):F2} | {visible.Max():F2} | {Percentile(visible, 0.5) / Percentile(ack, 0.5):F1}× |"));
    }

    private static async Task<RetrievalEngine> StartAsync(string connectionString, StoreFollowOptions follow)
    {
        var engine = new RetrievalEngine(
            new PostgresRetrievalStore(connectionString) { NotifyWrites = true }, new EngineOptions(), NullLogger<RetrievalEngine>.Instance,
            changeFeed: new PostgresChangeFeed(connectionString), follow: follow);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
