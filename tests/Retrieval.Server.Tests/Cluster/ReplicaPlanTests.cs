using Retrieval.Cluster;
using Retrieval.Cluster.Shards;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// The placement rules of shard replicas (<see cref="ReplicaPlan"/>) without a cluster: nodes are names, a shard's
/// ranking a fixed random order of them. A node joining or leaving moves only the replicas that must move, one replica
/// of a shard at a time, and never onto a node holding a twin.
/// </summary>
public sealed class ReplicaPlanTests
{
    private static readonly Dictionary<int, string> None = [];

    [Fact]
    public void ANodeJoiningAtTheTop_MovesOnlyTheReplicaItPushedOut()
    {
        // Before: A and B rank top for the shard; r0 on A, r1 on B. N joins and ranks first.
        string[] ranked = ["N", "A", "B"];
        Assert.Null(ReplicaPlan.MoveTarget(0, 2, "A", ranked, new Dictionary<int, string> { [1] = "B" }));
        Assert.Equal("N", ReplicaPlan.MoveTarget(1, 2, "B", ranked, new Dictionary<int, string> { [0] = "A" }));
        // The director's choice for the moving replica is the same node.
        Assert.Equal("N", ReplicaPlan.Place(1, 2, ranked, new Dictionary<int, string> { [0] = "A" }));
    }

    [Fact]
    public void ANodeLeaving_PlacesItsReplicaOffTheTwinsNode()
    {
        // r0 lived on A, which died; r1 is on B, now first of the live nodes.
        Assert.Equal("C", ReplicaPlan.Place(0, 2, ["B", "C", "D"], new Dictionary<int, string> { [1] = "B" }));
        // And r1, on a node still in the top two, stays.
        Assert.Null(ReplicaPlan.MoveTarget(1, 2, "B", ["B", "C", "D"], new Dictionary<int, string> { [0] = "C" }));
    }

    [Fact]
    public void FirstPlacement_WithoutSeeingTwins_SpreadsReplicasOverTheTopNodes()
    {
        string[] ranked = ["C", "A", "B", "D"];
        Assert.Equal(["C", "A", "B"], Enumerable.Range(0, 3).Select(r => ReplicaPlan.Place(r, 3, ranked, None)));
    }

    [Fact]
    public void MoreReplicasThanNodes_ShareOnlyWhenEveryNodeHoldsOne_AndDoNotMove()
    {
        string[] ranked = ["B", "A"];
        var placed = new Dictionary<int, string> { [0] = "B", [1] = "A" };
        Assert.Equal("B", ReplicaPlan.Place(2, 3, ranked, placed));
        placed[2] = "B";
        for (var r = 0; r < 3; r++)
        {
            Assert.Null(ReplicaPlan.MoveTarget(r, 3, placed[r], ranked, placed));
        }
    }

    [Fact]
    public void AReplicaWaits_WhileNoTwinIsActive_OrALowerNumberedTwinMustMove()
    {
        // r1 on B is off the top two, but no twin is active to answer while it reloads.
        Assert.Null(ReplicaPlan.MoveTarget(1, 2, "B", ["N", "A", "B"], None));
        // Two nodes joined above both replicas: r0 moves first (r1 answers meanwhile), r1 after it.
        string[] ranked = ["N", "M", "A", "B"];
        Assert.Null(ReplicaPlan.MoveTarget(1, 2, "B", ranked, new Dictionary<int, string> { [0] = "A" }));
        Assert.Equal("N", ReplicaPlan.MoveTarget(0, 2, "A", ranked, new Dictionary<int, string> { [1] = "B" }));
        Assert.Equal("M", ReplicaPlan.MoveTarget(1, 2, "B", ranked, new Dictionary<int, string> { [0] = "N" }));
        // With one replica there is no twin to wait for: it moves.
        Assert.Equal("N", ReplicaPlan.MoveTarget(0, 1, "A", ranked, None));
    }

    [Fact]
    public void TwoReplicasOnOneNode_TheHigherNumberedMovesOff()
    {
        string[] ranked = ["A", "B", "C"];
        Assert.Null(ReplicaPlan.MoveTarget(0, 2, "A", ranked, new Dictionary<int, string> { [1] = "A" }));
        Assert.Equal("B", ReplicaPlan.MoveTarget(1, 2, "A", ranked, new Dictionary<int, string> { [0] = "A" }));
    }

    /// <summary>
    /// Many shards through joins and leaves, with rebalancing rounds (every replica checks where it is, the moving
    /// ones are placed again) until nothing moves: after each round no two replicas of a shard share a node, a shard
    /// moves at most one replica per round, a join moves at most one replica of a shard in all, and the settled
    /// placement is the shard's top nodes.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void JoinsAndLeaves_MoveOnlyWhatMust_OneReplicaOfAShardAtATime_NeverOntoATwin(int replicas)
    {
        var random = new Random(17 + replicas);
        var scores = new Dictionary<(int Shard, string Node), double>();
        List<string> Rank(int shard, IEnumerable<string> nodes) =>
            [.. nodes.OrderByDescending(node => scores.TryGetValue((shard, node), out var s) ? s : scores[(shard, node)] = random.NextDouble())];

        const int shards = 60;
        var nodes = new List<string> { "n0", "n1", "n2", "n3" };
        var placed = Enumerable.Range(0, shards).Select(_ => new Dictionary<int, string>()).ToArray();
        for (var shard = 0; shard < shards; shard++)
        {
            for (var r = 0; r < replicas; r++)
            {
                placed[shard][r] = ReplicaPlan.Place(r, replicas, Rank(shard, nodes), placed[shard]);
            }

            AssertSpread(placed[shard], replicas, nodes.Count);
        }

        var next = 4;
        foreach (var joins in new[] { true, true, false, true, false, false })
        {
            if (joins)
            {
                nodes.Add($"n{next++}");
            }
            else
            {
                var gone = nodes[random.Next(nodes.Count)];
                nodes.Remove(gone);
                // Its replicas are placed again at their next call, with the twins where they are.
                foreach (var shard in placed)
                {
                    foreach (var r in shard.Where(p => p.Value == gone).Select(p => p.Key).ToList())
                    {
                        shard.Remove(r);
                    }
                }

                for (var s = 0; s < shards; s++)
                {
                    foreach (var r in Enumerable.Range(0, replicas).Where(r => !placed[s].ContainsKey(r)))
                    {
                        placed[s][r] = ReplicaPlan.Place(r, replicas, Rank(s, nodes), placed[s]);
                    }

                    AssertSpread(placed[s], replicas, nodes.Count);
                }
            }

            var movedPerShard = new int[shards];
            for (var round = 0; round < 10; round++)
            {
                var moved = false;
                for (var s = 0; s < shards; s++)
                {
                    var ranked = Rank(s, nodes);
                    // Every replica decides from the same view (the timers do not see each other's moves this round).
                    var moves = Enumerable.Range(0, replicas)
                        .Select(r => (Replica: r, Target: ReplicaPlan.MoveTarget(r, replicas, placed[s][r], ranked, placed[s])))
                        .Where(m => m.Target is not null)
                        .ToList();
                    Assert.True(moves.Count <= 1, $"shard {s} moves {moves.Count} replicas at once");
                    foreach (var (replica, target) in moves)
                    {
                        Assert.DoesNotContain(target, placed[s].Where(p => p.Key != replica).Select(p => p.Value));
                        placed[s][replica] = target!;
                        movedPerShard[s]++;
                        moved = true;
                    }

                    AssertSpread(placed[s], replicas, nodes.Count);
                }

                if (!moved)
                {
                    break;
                }
            }

            for (var s = 0; s < shards; s++)
            {
                var top = Rank(s, nodes).Take(Math.Min(replicas, nodes.Count)).ToHashSet();
                Assert.Subset(top, placed[s].Values.ToHashSet());
                if (joins)
                {
                    Assert.True(movedPerShard[s] <= 1, $"a join moved {movedPerShard[s]} replicas of shard {s}");
                }
            }
        }
    }

    [Fact]
    public void ACallTimeoutNotBelowTheShardDeadline_IsRefusedNamingTheSetting()
    {
        var options = new ClusterModeOptions { ShardPlacement = ShardPlacement.Grains, ShardDeadlineMilliseconds = 600, ReplicaCallTimeoutMilliseconds = 600 };
        Assert.Contains("Retrieval:Cluster:ReplicaCallTimeoutMilliseconds", options.Problem(), StringComparison.Ordinal);
        options.ReplicaCallTimeoutMilliseconds = 300;
        Assert.Null(options.Problem());
    }

    private static void AssertSpread(Dictionary<int, string> placed, int replicas, int nodes) =>
        Assert.Equal(Math.Min(replicas, nodes), placed.Values.Distinct().Count());
}
