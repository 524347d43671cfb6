using System.Diagnostics;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// Grains placement with a shard whose only replica sits on a node just SIGKILLed (not yet declared dead, so its
/// replica cannot move): a client's own gRPC deadline, far shorter than <c>ShardDeadlineMilliseconds</c>, bounds the
/// wait. With allowPartial the client gets the other shards' hits and <c>missingShards</c> before its deadline rather
/// than DEADLINE_EXCEEDED; without, UNAVAILABLE naming the shard and the last replica error it saw. Cluster status
/// loads no replica to list it. Needs <c>RETRIEVAL_TEST_POSTGRES</c>.
/// </summary>
public sealed class ClusterShardDeadlineTests(ITestOutputHelper output)
{
    private const int Dimension = 4;

    private const int ShardCount = 16;

    [SkippableFact]
    public async Task AClientDeadline_BoundsTheWaitForALostShard_PartialOrUnavailableWithTheLastError()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var clock = Stopwatch.StartNew();
        await using var cluster = await KillableCluster.CreateAsync(2, new Dictionary<string, string>
        {
            ["Retrieval:Cluster:ShardPlacement"] = "Grains",
            ["Retrieval:Cluster:ShardDeadlineMilliseconds"] = "20000",
            ["Retrieval:Cluster:ReplicaCallTimeoutMilliseconds"] = "300",
            // The victim stays undeclared (its replica unmovable) for well over the client deadlines below.
            ["Retrieval:Cluster:Membership:ProbeTimeout"] = "00:00:05",
        });
        var nodes = await Task.WhenAll(cluster.StartAsync(0), cluster.StartAsync(1));
        // Placement only offers nodes the membership lists as active: created before node-0 saw node-1, every replica
        // would land on node-0 and nothing would be lost below.
        await WaitUntilBothActiveAsync(nodes);
        await nodes[0].Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = "c",
            Shards = ShardCount,
            Spaces = { new Space { Name = "v", Dimension = Dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" } } },
        });
        var upsert = new UpsertItemsRequest { Collection = "c" };
        var vectors = Vectors.Random(64, Dimension, seed: 7);
        for (var i = 0; i < vectors.Length; i++)
        {
            upsert.Items.Add(new Item { Id = $"i{i:D2}", Vectors = { ["v"] = MigrationScenario.Vector(vectors[i]) } });
        }

        await nodes[0].Items.UpsertItemsAsync(upsert);
        var query = new SearchRequest { Collection = "c", Vector = MigrationScenario.Vector(vectors[0]), K = 64, Exact = true };
        Assert.Equal(64, (await nodes[1].Search.SearchAsync(query)).Hits.Count);

        // Every replica was loaded by the write's apply notices; status lists them without loading any.
        var status = await nodes[1].Cluster.GetClusterStatusAsync(new GetClusterStatusRequest());
        Assert.Equal(ShardCount, status.Replicas.Count);
        Assert.All(status.Replicas, r => Assert.True(r.Loaded && r.Error == "", $"{r.Shard}/{r.Replica}: loaded {r.Loaded}, error '{r.Error}'"));
        var lost = status.Replicas.Where(r => r.Node == KillableCluster.NodeName(0)).Select(r => r.Shard).Order().ToList();
        // With 16 shards the rendezvous ranking puts all of them on one of two nodes with probability 2^-15.
        Skip.If(lost.Count is 0 or ShardCount, "the ranking put every replica on one node");
        await cluster.KillAsync(0);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: node-0 killed, holding shards {string.Join(",", lost)}");

        var partialQuery = query.Clone();
        partialQuery.AllowPartial = true;
        var asked = Stopwatch.StartNew();
        var partial = await nodes[1].Search.SearchAsync(partialQuery, deadline: DateTime.UtcNow.AddSeconds(2));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: partial answer in {asked.ElapsedMilliseconds} ms, missing {string.Join(",", partial.MissingShards)}");
        Assert.Equal(lost, partial.MissingShards.Order());
        Assert.Equal(64 - upsert.Items.Count(item => lost.Contains(Core.Model.ShardAssignment.ShardOf(item.Id, ShardCount))), partial.Hits.Count);

        asked.Restart();
        var refused = await Assert.ThrowsAsync<RpcException>(() => nodes[1].Search.SearchAsync(query, deadline: DateTime.UtcNow.AddSeconds(2)).ResponseAsync);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {refused.StatusCode} in {asked.ElapsedMilliseconds} ms: {refused.Status.Detail}");
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("last errors", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains($"replica c/{lost[0]}/0", refused.Status.Detail, StringComparison.Ordinal);
    }

    private static async Task WaitUntilBothActiveAsync(ChildServerProcess[] nodes)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var seen = await Task.WhenAll(nodes.Select(async node =>
                (await node.Cluster.GetClusterStatusAsync(new GetClusterStatusRequest())).Nodes.Count(n => n.State == ClusterNodeState.Active)));
            if (seen.All(active => active == nodes.Length))
            {
                return;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"the nodes see {string.Join(", ", seen)} active members after 60 s");
            await Task.Delay(200);
        }
    }
}
