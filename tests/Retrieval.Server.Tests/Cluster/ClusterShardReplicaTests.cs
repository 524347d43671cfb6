using System.Diagnostics;
using Grpc.Core;
using Retrieval.Contracts.V1;
using ShardAssignment = Retrieval.Core.Model.ShardAssignment;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// Three real server processes in shard placement Grains: each (shard, replica) is an Orleans grain placed by
/// rendezvous ranking, searches fan out to one replica per shard and merge. Writes through every node; every node's
/// searches equal the exact reference computed here; cluster status shows where each replica lives with its item
/// count (the two replicas of a shard on different nodes); <c>replicas</c> above the node count is refused naming the
/// field. Then one node is SIGKILLed: a collection with replicas 1 answers UNAVAILABLE naming the shards it lost (or,
/// with allowPartial, the other shards' hits and <c>missingShards</c>) until its replicas load elsewhere, while every
/// search of a collection with replicas 2 succeeds, equal to the reference. Needs <c>RETRIEVAL_TEST_POSTGRES</c>.
/// </summary>
public sealed class ClusterShardReplicaTests(ITestOutputHelper output)
{
    private const int Dimension = 8;
    private const int Shards = 3;
    private const int DeadlineMilliseconds = 3000;

    [SkippableFact]
    public async Task GrainsPlacement_FanOutEqualsReference_SurvivesAKilledNode_NeverSilentlyPartial()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var clock = Stopwatch.StartNew();
        await using var cluster = await KillableCluster.CreateAsync(3, new Dictionary<string, string>
        {
            ["Retrieval:Cluster:ShardPlacement"] = "Grains",
            ["Retrieval:Cluster:ShardDeadlineMilliseconds"] = DeadlineMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Retrieval:Cluster:ReplicaCallTimeoutMilliseconds"] = "300",
            // Slower than the fixture's default, so that the victim stays undeclared for a few deadlines.
            ["Retrieval:Cluster:Membership:ProbeTimeout"] = "00:00:04",
        });
        var nodes = await Task.WhenAll(Enumerable.Range(0, cluster.Count).Select(cluster.StartAsync));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: 3 nodes ready");

        var refused = await Assert.ThrowsAsync<RpcException>(() => nodes[0].Collections.CreateCollectionAsync(Create("too_many", replicas: 4)).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("replicas", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("3", refused.Status.Detail, StringComparison.Ordinal);

        Assert.Equal(2, (await nodes[0].Collections.CreateCollectionAsync(Create("r2", replicas: 2))).Replicas);
        await nodes[1].Collections.CreateCollectionAsync(Create("r1", replicas: 1));
        var expected = new Dictionary<string, Dictionary<string, float[]>>
        {
            ["r2"] = await WriteThroughEveryNodeAsync(nodes, "r2", seed: 1),
            ["r1"] = await WriteThroughEveryNodeAsync(nodes, "r1", seed: 2),
        };
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: writes through every node, read back through the writer");

        var queries = Vectors.Random(8, Dimension, seed: 99);
        foreach (var node in nodes)
        {
            foreach (var (collection, items) in expected)
            {
                await WaitForAsync(node, $"{collection}: every write", async () => await SearchEqualsAsync(node, collection, items, queries));
            }
        }

        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: every node's searches equal the reference");

        var status = await nodes[2].Cluster.GetClusterStatusAsync(new GetClusterStatusRequest());
        Assert.All(status.Replicas, r => Assert.Equal("", r.Error));
        Assert.Equal(Shards * 2 + Shards, status.Replicas.Count);
        foreach (var shard in Enumerable.Range(0, Shards))
        {
            var placed = status.Replicas.Where(r => r.Collection == "r2" && r.Shard == shard).ToList();
            Assert.Equal(2, placed.Select(r => r.Node).Distinct().Count());
            Assert.Equal(placed[0].ItemCount, placed[1].ItemCount);
        }

        foreach (var (collection, items) in expected)
        {
            Assert.Equal(items.Count, status.Replicas.Where(r => r.Collection == collection && r.Replica == 0).Sum(r => r.ItemCount));
        }

        // The victim holds replica 0 of some shard of r1 (its only copy); the survivors are searched.
        var victimName = status.Replicas.First(r => r.Collection == "r1").Node;
        var victim = Enumerable.Range(0, cluster.Count).Single(i => KillableCluster.NodeName(i) == victimName);
        var lost = status.Replicas.Where(r => r.Collection == "r1" && r.Node == victimName).Select(r => r.Shard).Order().ToList();
        var survivors = Enumerable.Range(0, cluster.Count).Where(i => i != victim).Select(i => nodes[i]).ToList();
        await cluster.KillAsync(victim);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {victimName} killed; r1 lost shards {string.Join(",", lost)}");

        // Until the membership declares the victim dead (probes, seconds), its replicas cannot move: a search of r1 then
        // either waits out the deadline and says which shards it lacks, or (once they moved) answers whole. Never short
        // without saying so; and the first two searches, within about two deadlines of the kill, see the loss.
        var sawLoss = false;
        var partial = await survivors[0].Search.SearchAsync(new SearchRequest
        {
            Collection = "r1", Vector = MigrationScenario.Vector(queries[0]), K = 10, Exact = true, AllowPartial = true,
        });
        Assert.Subset(lost.ToHashSet(), partial.MissingShards.ToHashSet());
        var kept = expected["r1"].Where(p => !partial.MissingShards.Contains(ShardAssignment.ShardOf(p.Key, Shards))).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(Reference(kept, queries[0]), partial.Hits.Select(h => h.Id));
        sawLoss |= partial.MissingShards.Count > 0;
        try
        {
            var whole = await survivors[1].Search.SearchAsync(new SearchRequest { Collection = "r1", Vector = MigrationScenario.Vector(queries[0]), K = 10, Exact = true });
            Assert.Equal(Reference(expected["r1"], queries[0]), whole.Hits.Select(h => h.Id));
            Assert.Empty(whole.MissingShards);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            Assert.Matches(@"no replica of shards? [0-9, ]+ answered", e.Status.Detail);
            Assert.Contains(lost, shard => e.Status.Detail.Contains(shard.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
            sawLoss = true;
        }

        Assert.True(sawLoss, $"no search saw the lost shards {string.Join(",", lost)} right after the kill");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: r1 partial with missingShards {string.Join(",", partial.MissingShards)}, or UNAVAILABLE naming them");

        // Replicas 2: no search fails, from the kill until the victim's replicas live elsewhere.
        var searches = 0;
        var until = clock.Elapsed + TimeSpan.FromSeconds(10);
        while (clock.Elapsed < until)
        {
            foreach (var survivor in survivors)
            {
                Assert.True(await SearchEqualsAsync(survivor, "r2", expected["r2"], queries), $"r2 differs from the reference after the kill\n{cluster.Diagnostics()}");
                searches += queries.Length;
            }
        }

        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {searches} r2 searches after the kill, none failed, all equal the reference");

        // r1's lost replicas load on the survivors once the victim is declared dead; then r1 answers whole again.
        await WaitForAsync(survivors[0], "r1 whole again", async () =>
        {
            try
            {
                return await SearchEqualsAsync(survivors[0], "r1", expected["r1"], queries);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
            {
                return false;
            }
        });
        var after = await survivors[1].Cluster.GetClusterStatusAsync(new GetClusterStatusRequest());
        Assert.All(after.Replicas, r => Assert.NotEqual(victimName, r.Node));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: r1 whole again; no replica left on {victimName}");
    }

    [SkippableFact]
    public async Task GrainsPlacement_ANodeJoining_TakesItsShareOfReplicas_WhileSearchesStayWhole()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var clock = Stopwatch.StartNew();
        await using var cluster = await KillableCluster.CreateAsync(3, new Dictionary<string, string>
        {
            ["Retrieval:Cluster:ShardPlacement"] = "Grains",
            ["Retrieval:Cluster:RebalanceIntervalMilliseconds"] = "1000",
        });
        var first = await Task.WhenAll(cluster.StartAsync(0), cluster.StartAsync(1));
        // 12 shards × 2 replicas: a third node ranks in the top two of a shard with probability 2/3, so it is owed some.
        await first[0].Collections.CreateCollectionAsync(Create("grow", replicas: 2, shards: 12));
        var items = await WriteThroughEveryNodeAsync(first, "grow", seed: 3);
        var queries = Vectors.Random(4, Dimension, seed: 5);
        Assert.True(await SearchEqualsAsync(first[1], "grow", items, queries));
        var before = await first[0].Cluster.GetClusterStatusAsync(new GetClusterStatusRequest());
        Assert.All(before.Replicas, r => Assert.Contains(r.Node, new[] { KillableCluster.NodeName(0), KillableCluster.NodeName(1) }));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: 24 replicas on 2 nodes");

        var joined = await cluster.StartAsync(2);
        var third = KillableCluster.NodeName(2);
        var bound = Stopwatch.StartNew();
        var searches = 0;
        while (true)
        {
            // Searches stay whole while replicas move (a moving replica's twin answers).
            Assert.True(await SearchEqualsAsync(first[searches % 2], "grow", items, queries), $"a search differs while replicas move\n{cluster.Diagnostics()}");
            searches++;
            var status = await joined.Cluster.GetClusterStatusAsync(new GetClusterStatusRequest());
            // Settled: the new node holds some, and (moves done) the two replicas of every shard sit on different nodes.
            if (status.Replicas.Any(r => r.Node == third) && status.Replicas.All(r => r.Error == "")
                && Enumerable.Range(0, 12).All(shard => status.Replicas.Where(r => r.Shard == shard).Select(r => r.Node).Distinct().Count() == 2))
            {
                output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {status.Replicas.Count(r => r.Node == third)} replicas moved to {third}; {searches} searches meanwhile, all whole");
                break;
            }

            Assert.True(
                bound.Elapsed < TimeSpan.FromSeconds(45),
                $"replicas not settled with a share on {third} within 45 s: {string.Join("; ", status.Replicas.Select(r => $"{r.Shard}/{r.Replica}@{r.Node}{r.Error}"))}\n{cluster.Diagnostics()}");
            await Task.Delay(200);
        }

        Assert.True(await SearchEqualsAsync(joined, "grow", items, queries));
    }

    private static CreateCollectionRequest Create(string name, int replicas, int shards = Shards) => new()
    {
        Name = name,
        Shards = shards,
        Replicas = replicas,
        Spaces = { new Space { Name = "v", Dimension = Dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" } } },
    };

    private static async Task<Dictionary<string, float[]>> WriteThroughEveryNodeAsync(ChildServerProcess[] nodes, string collection, int seed)
    {
        var expected = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var random = new Random(seed);
        for (var round = 0; round < 2; round++)
        {
            for (var n = 0; n < nodes.Length; n++)
            {
                var upsert = new UpsertItemsRequest { Collection = collection };
                foreach (var id in Enumerable.Range(0, 40).Select(_ => $"i{random.Next(200):D3}").Distinct())
                {
                    var vector = Vectors.Random(1, Dimension, random.Next())[0];
                    upsert.Items.Add(new Item { Id = id, Vectors = { ["v"] = MigrationScenario.Vector(vector) }, Payload = PayloadOf(id) });
                    expected[id] = vector;
                }

                await nodes[n].Items.UpsertItemsAsync(upsert);
                var doomed = expected.Keys.OrderBy(_ => random.Next()).Take(3).ToList();
                await nodes[(n + 1) % nodes.Length].Items.DeleteItemsAsync(new DeleteItemsRequest { Collection = collection, Ids = { doomed } });
                doomed.ForEach(id => expected.Remove(id));

                // Read-your-writes through the node that acknowledged: its search already sees the batch.
                var last = upsert.Items.Last(item => expected.ContainsKey(item.Id));
                var own = await nodes[n].Search.SearchAsync(new SearchRequest
                {
                    Collection = collection, Vector = last.Vectors["v"], K = 200, Exact = true, WithPayload = true,
                });
                Assert.Contains(own.Hits, hit => hit.Id == last.Id && hit.Payload.Fields["id"].StringValue == last.Id);
            }
        }

        return expected;
    }

    private static Google.Protobuf.WellKnownTypes.Struct PayloadOf(string id) => new() { Fields = { ["id"] = Google.Protobuf.WellKnownTypes.Value.ForString(id) } };

    private static async Task<bool> SearchEqualsAsync(ChildServerProcess node, string collection, Dictionary<string, float[]> items, float[][] queries)
    {
        var batch = new SearchBatchRequest { Collection = collection };
        batch.Searches.Add(queries.Select(q => new SearchRequest { Vector = MigrationScenario.Vector(q), K = 10, Exact = true }));
        var results = await node.Search.SearchBatchAsync(batch);
        for (var i = 0; i < queries.Length; i++)
        {
            if (!Reference(items, queries[i]).SequenceEqual(results.Results[i].Hits.Select(h => h.Id)) || results.Results[i].MissingShards.Count > 0)
            {
                return false;
            }
        }

        return true;
    }

    private static List<string> Reference(Dictionary<string, float[]> items, float[] query) =>
        [.. items.Select(p => (Id: p.Key, Score: p.Value.Select((x, d) => (double)x * query[d]).Sum()))
            .OrderByDescending(h => h.Score).ThenBy(h => h.Id, StringComparer.Ordinal).Take(10).Select(h => h.Id)];

    private static async Task WaitForAsync(ChildServerProcess node, string what, Func<Task<bool>> done)
    {
        var clock = Stopwatch.StartNew();
        while (!await done())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(45))
            {
                throw new TimeoutException($"{what}: not seen within 45 s\n{node.Diagnostics()}");
            }

            await Task.Delay(100);
        }
    }
}
