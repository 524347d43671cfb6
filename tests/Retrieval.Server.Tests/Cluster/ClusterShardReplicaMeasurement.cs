using System.Diagnostics;
using System.Globalization;
using Retrieval.Contracts.V1;
using Retrieval.Testing;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// A measurement, not a check (docs/benchmarks.md, "Cluster mode: shard replicas as grains"): the same data and
/// searches on a 3-node cluster in each shard placement, one after the other: search latency at concurrency 1 through
/// one node (Replicated answers from the node's own shards, Grains fans out to one replica per shard over Orleans) and
/// each node's resident memory. Runs only when <c>RETRIEVAL_CLUSTER_REPLICA_ITEMS</c> names the items (e.g. 20000);
/// <c>RETRIEVAL_CLUSTER_REPLICA_DIMENSION</c> (default 128) and <c>RETRIEVAL_CLUSTER_REPLICA_SEARCHES</c> (default 500).
/// </summary>
public sealed class ClusterShardReplicaMeasurement(ITestOutputHelper output)
{
    private const int Shards = 3;

    [SkippableFact]
    public async Task SearchLatencyAndMemory_ReplicatedAgainstGrains()
    {
        var items = Setting("RETRIEVAL_CLUSTER_REPLICA_ITEMS", 0);
        Skip.If(items == 0, "a measurement: set RETRIEVAL_CLUSTER_REPLICA_ITEMS to run it");
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var dimension = Setting("RETRIEVAL_CLUSTER_REPLICA_DIMENSION", 128);
        var searches = Setting("RETRIEVAL_CLUSTER_REPLICA_SEARCHES", 500);
        var replicated = await MeasureAsync("Replicated", items, dimension, searches);
        var grains = await MeasureAsync("Grains", items, dimension, searches);
        output.WriteLine($"load: {items} items × {dimension} dims, {Shards} shards (exact search, k 10), {searches} searches at concurrency 1 through node-0; load average {LoadAverage()}");
        foreach (var (name, result) in new[] { ("Replicated", replicated), ("Grains, replicas 1", grains) })
        {
            output.WriteLine(
                $"{name,-20} p50 {result.P50:F2} ms, p99 {result.P99:F2} ms; RSS per node {string.Join(" / ", result.RssMiB.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))} MiB");
        }

        output.WriteLine($"fan-out overhead: p50 {grains.P50 - replicated.P50:+0.00;-0.00} ms, p99 {grains.P99 - replicated.P99:+0.00;-0.00} ms");
    }

    private static async Task<(double P50, double P99, double[] RssMiB)> MeasureAsync(string placement, int items, int dimension, int searches)
    {
        await using var cluster = await KillableCluster.CreateAsync(3, new Dictionary<string, string> { ["Retrieval:Cluster:ShardPlacement"] = placement });
        var nodes = await Task.WhenAll(Enumerable.Range(0, 3).Select(cluster.StartAsync));
        await nodes[0].Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = "m",
            Shards = Shards,
            Spaces = { new Space { Name = "v", Dimension = dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" } } },
        });
        var random = new Random(1);
        for (var start = 0; start < items; start += 500)
        {
            var request = new UpsertItemsRequest { Collection = "m" };
            for (var i = start; i < Math.Min(items, start + 500); i++)
            {
                request.Items.Add(new Item { Id = $"i{i:D8}", Vectors = { ["v"] = Vector(random, dimension) } });
            }

            await nodes[start / 500 % 3].Items.UpsertItemsAsync(request);
        }

        var queries = Enumerable.Range(0, searches).Select(_ => Vector(random, dimension)).ToArray();
        // Warm-up: every node follows every write, and (Grains) every replica is loaded and caught up.
        foreach (var node in nodes)
        {
            var clock = Stopwatch.StartNew();
            while ((await node.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "m" })).ItemCount != items)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"{placement}: not every write followed\n{cluster.Diagnostics()}");
                await Task.Delay(100);
            }

            for (var i = 0; i < 20; i++)
            {
                await node.Search.SearchAsync(new SearchRequest { Collection = "m", Vector = queries[i], K = 10 });
            }
        }

        var latencies = new double[searches];
        for (var i = 0; i < searches; i++)
        {
            var clock = Stopwatch.StartNew();
            await nodes[0].Search.SearchAsync(new SearchRequest { Collection = "m", Vector = queries[i], K = 10 });
            latencies[i] = clock.Elapsed.TotalMilliseconds;
        }

        Array.Sort(latencies);
        return (latencies[searches / 2], latencies[(int)(searches * 0.99)], [.. nodes.Select(node => RssMiB(node.ProcessId))]);
    }

    private static Vector Vector(Random random, int dimension)
    {
        var vector = new Vector();
        for (var d = 0; d < dimension; d++)
        {
            vector.Values.Add(random.NextSingle() * 2 - 1);
        }

        return vector;
    }

    private static double RssMiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}
