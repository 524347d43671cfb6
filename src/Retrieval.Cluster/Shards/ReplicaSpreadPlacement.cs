using System.IO.Hashing;
using System.Text;
using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Retrieval.Cluster.Shards;

/// <summary>
/// Places replica r of a shard on the r-th node of the shard's own ranking of the live nodes (rendezvous hashing of
/// the shard key and each node's endpoint), so the replicas of one shard land on different nodes whenever there are at
/// least as many nodes as replicas, every node gets a share of the shards, and a node joining or leaving moves only
/// the replicas it gains or held.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class ReplicaSpreadPlacement : PlacementStrategy
{
    internal static ReplicaSpreadPlacement Instance { get; } = new();
}

/// <summary>Marks a grain class as placed by <see cref="ReplicaSpreadPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReplicaSpreadPlacementAttribute : PlacementAttribute
{
    public ReplicaSpreadPlacementAttribute()
        : base(ReplicaSpreadPlacement.Instance)
    {
    }
}

/// <summary>Picks the silo of a new shard replica activation by <see cref="ReplicaRanking"/>.</summary>
internal sealed class ReplicaSpreadPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        var key = ShardReplicaKey.Parse(target.GrainIdentity.Key.ToString()!);
        return Task.FromResult(ReplicaRanking.SiloOf(key, silos));
    }
}

/// <summary>The ranking of nodes for one shard, shared by placement and by the fan-out's "local replica first".</summary>
internal static class ReplicaRanking
{
    /// <summary>The silo replica <paramref name="key"/> belongs on among <paramref name="silos"/> (not empty).</summary>
    public static SiloAddress SiloOf(ShardReplicaKey key, IReadOnlyList<SiloAddress> silos)
    {
        if (silos.Count == 0)
        {
            throw new OrleansException($"no silo can host shard replica {key}");
        }

        var ranked = Rank(key.ShardKey, silos);
        return ranked[key.Replica % ranked.Count];
    }

    /// <summary>The silos, best first for <paramref name="shardKey"/>: by a hash of the shard key and the silo's endpoint (not its generation, so a restarted node gets its shards back).</summary>
    public static List<SiloAddress> Rank(string shardKey, IEnumerable<SiloAddress> silos) =>
        [.. silos.OrderByDescending(silo => Score(shardKey, silo)).ThenBy(silo => silo.Endpoint.ToString(), StringComparer.Ordinal)];

    private static ulong Score(string shardKey, SiloAddress silo) =>
        XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{shardKey}|{silo.Endpoint}"));
}
