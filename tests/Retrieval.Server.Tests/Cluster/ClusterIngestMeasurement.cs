using System.Diagnostics;
using System.Globalization;
using Retrieval.Contracts.V1;
using Retrieval.Testing;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// A measurement, not a check (docs/benchmarks.md, "Cluster mode: one backfill runner, SIGKILL cycles"): ingest items/s
/// of a 3-node cluster through one node and through all three, the same load each way. Runs only when
/// <c>RETRIEVAL_CLUSTER_INGEST_ITEMS</c> names the items per pass (e.g. 200000), since it takes minutes;
/// <c>RETRIEVAL_CLUSTER_INGEST_DIMENSION</c> (default 128) and <c>RETRIEVAL_CLUSTER_INGEST_STREAMS</c> (concurrent
/// upsert streams per receiving node, default 2) shape the load.
/// </summary>
public sealed class ClusterIngestMeasurement(ITestOutputHelper output)
{
    private const int BatchSize = 500;

    [SkippableFact]
    public async Task Ingest_ThroughOneNode_AndThroughAllThree()
    {
        var items = Setting("RETRIEVAL_CLUSTER_INGEST_ITEMS", 0);
        Skip.If(items == 0, "a measurement: set RETRIEVAL_CLUSTER_INGEST_ITEMS (items per pass) to run it");
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var dimension = Setting("RETRIEVAL_CLUSTER_INGEST_DIMENSION", 128);
        var streams = Setting("RETRIEVAL_CLUSTER_INGEST_STREAMS", 2);
        await using var cluster = await KillableCluster.CreateAsync(3, new Dictionary<string, string>());

        // Both collections exist before nodes 1 and 2 start (nodes load the catalog at start).
        var first = await cluster.StartAsync(0);
        foreach (var name in new[] { "ingest-one", "ingest-all" })
        {
            await first.Collections.CreateCollectionAsync(new CreateCollectionRequest
            {
                Name = name,
                Spaces = { new Space { Name = "v", Dimension = dimension, Metric = Metric.L2, Index = "HNSW32", Model = new ModelRef { Name = "m", Version = "1" } } },
            });
        }

        await Task.WhenAll(cluster.StartAsync(1), cluster.StartAsync(2));
        var one = await IngestAsync(cluster, "ingest-one", [0], items, dimension, streams);
        var all = await IngestAsync(cluster, "ingest-all", [0, 1, 2], items, dimension, streams);
        output.WriteLine($"load: {items} items × {dimension} dims (HNSW32 space), batches of {BatchSize}, {streams} streams per receiving node; load average {LoadAverage()}");
        output.WriteLine($"through one node:    {items / one.TotalSeconds:F0} items/s ({one.TotalSeconds:F1} s)");
        output.WriteLine($"through three nodes: {items / all.TotalSeconds:F0} items/s ({all.TotalSeconds:F1} s), {one.TotalSeconds / all.TotalSeconds:F2}× one node");
        var count = await first.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "ingest-one" });
        Assert.Equal(items, count.ItemCount);
    }

    /// <summary>Sends <paramref name="items"/> new items through the given nodes, <paramref name="streams"/> concurrent streams each; returns the wall time.</summary>
    private static async Task<TimeSpan> IngestAsync(KillableCluster cluster, string collection, int[] nodes, int items, int dimension, int streams)
    {
        var senders = nodes.SelectMany(node => Enumerable.Range(0, streams).Select(stream => (Node: cluster.Live(node)!, Index: node * streams + stream))).ToArray();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(senders.Select(sender => Task.Run(async () =>
        {
            var random = new Random(sender.Index);
            for (var start = sender.Index * BatchSize; start < items; start += senders.Length * BatchSize)
            {
                var request = new UpsertItemsRequest { Collection = collection };
                for (var i = start; i < Math.Min(start + BatchSize, items); i++)
                {
                    var vector = new Vector();
                    for (var d = 0; d < dimension; d++)
                    {
                        vector.Values.Add(random.NextSingle());
                    }

                    request.Items.Add(new Item { Id = $"i-{i:D8}", Vectors = { ["v"] = vector } });
                }

                await sender.Node.Items.UpsertItemsAsync(request);
            }
        })));
        return clock.Elapsed;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}
