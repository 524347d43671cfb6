using System.IO.Hashing;
using System.Text;
using Orleans.Placement;
using Orleans.Runtime.Placement;
using Retrieval.Engine;

namespace Retrieval.Cluster.Shards;

/// <summary>
/// Places the replicas of a shard on the top <c>replicas</c> nodes of the shard's own ranking of the live nodes
/// (rendezvous hashing of the shard key and each node's endpoint), never two on one node while there are at least as
/// many nodes as replicas. A replica stays where it is while its node is still among those top nodes and holds no
/// twin, so a node joining or leaving moves only the replicas that must move (<see cref="ReplicaPlan"/>).
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

/// <summary>
/// Picks the silo of a new shard replica activation (first placement, a dead node's replica placed again, or a move by
/// grain migration) by <see cref="ReplicaPlan.Place"/>, from the compatible silos and where the replica's twins live now.
/// </summary>
internal sealed class ReplicaSpreadPlacementDirector(RetrievalEngine engine, ReplicaLocator locator, ReadySilos ready) : IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = ShardReplicaKey.Parse(target.GrainIdentity.Key.ToString()!);
        // Compatible: Active silos that register the grain class, which only nodes in Grains placement do.
        var compatible = context.GetCompatibleSilos(target);
        if (compatible.Length == 0)
        {
            throw new OrleansException($"no silo can host shard replica {key}");
        }

        var silos = await ready.FilterAsync(compatible);

        var replicas = ReplicaLocator.ReplicasOf(engine, key);
        var twins = await locator.LocateTwinsAsync(key, replicas, silos);
        return ReplicaPlan.Place(key.Replica, replicas, ReplicaRanking.Rank(key.ShardKey, silos), twins);
    }
}

/// <summary>
/// Where a shard replica's twins (the other replicas of its shard) are active now, read from the grain directory
/// (through Orleans' management grain, the public way to it) without activating them.
/// </summary>
internal sealed class ReplicaLocator(IGrainFactory grains, IClusterMembershipService membership, IClusterManifestProvider manifests)
{
    /// <summary>The collection's <c>replicas</c>, as this node's catalog knows it (at least the key's replica + 1, for a collection this node has not followed yet).</summary>
    public static int ReplicasOf(RetrievalEngine engine, ShardReplicaKey key)
    {
        var known = engine.ListCollections().FirstOrDefault(c => string.Equals(c.Definition.Name, key.Collection, StringComparison.Ordinal));
        return Math.Max(key.Replica + 1, known?.Definition.Replicas ?? 1);
    }

    /// <summary>
    /// The Active silos that host shard replicas (nodes in Grains placement: the others do not register the grain
    /// class, <see cref="ClusterHosting"/>), as the cluster manifest lists them.
    /// </summary>
    public List<SiloAddress> HostingSilos()
    {
        var type = grains.GetGrain<IShardReplicaGrain>("type/0/0").GetGrainId().Type;
        var manifest = manifests.Current;
        return [.. membership.CurrentSnapshot.Members.Values
            .Where(member => member.Status == SiloStatus.Active
                && manifest.Silos.TryGetValue(member.SiloAddress, out var silo) && silo.Grains.ContainsKey(type))
            .Select(member => member.SiloAddress)];
    }

    /// <summary>The silo <paramref name="key"/> is active on, or null when it is active nowhere (as the grain directory knows).</summary>
    public async Task<SiloAddress?> LocateAsync(ShardReplicaKey key) =>
        await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grains.GetGrain<IShardReplicaGrain>(key.ToString()));

    /// <summary>The silo of every twin of <paramref name="key"/> that is active on one of <paramref name="live"/> (by replica number).</summary>
    public async Task<Dictionary<int, SiloAddress>> LocateTwinsAsync(ShardReplicaKey key, int replicas, IReadOnlyCollection<SiloAddress> live)
    {
        var located = new Dictionary<int, SiloAddress>();
        for (var replica = 0; replica < replicas; replica++)
        {
            if (replica == key.Replica)
            {
                continue;
            }

            if (await LocateAsync(new ShardReplicaKey(key.Collection, key.Shard, replica)) is { } silo && live.Contains(silo))
            {
                located[replica] = silo;
            }
        }

        return located;
    }
}

/// <summary>
/// Where the replicas of one shard belong, given the live nodes ranked for the shard (best first) and where its other
/// replicas ("twins") are active now. Pure, so that the rules are tested without a cluster:
/// <list type="bullet">
/// <item>a replica belongs on one of the top <c>replicas</c> nodes that holds no twin (any node holding no twin when
/// those are taken; when every node holds one, <c>replicas</c> exceeds the nodes and sharing cannot be helped);</item>
/// <item>a placed replica stays while its node is still among the top <c>replicas</c> and no twin of a lower number is
/// on it, so a node joining moves only the replica on the node it pushed out of the top, and a node leaving moves only
/// the replicas it held;</item>
/// <item>it moves only while a twin that stays answers for the shard (the move unloads it before the new copy
/// loads), and only the lowest-numbered of the replicas that must move does so, so a shard moves one replica at a time.</item>
/// </list>
/// </summary>
internal static class ReplicaPlan
{
    /// <summary>The node replica <paramref name="replica"/> should be activated on.</summary>
    public static T Place<T>(int replica, int replicas, IReadOnlyList<T> ranked, IReadOnlyDictionary<int, T> twins)
        where T : notnull
    {
        if (ranked.Count == 0)
        {
            throw new ArgumentException("no node to place the replica on", nameof(ranked));
        }

        var taken = twins.Where(t => t.Key != replica).Select(t => t.Value).ToHashSet();
        var top = Math.Min(Math.Max(1, replicas), ranked.Count);
        // First choice: the r-th node of the ranking, so that replicas activated at once, none seeing the others yet,
        // still land on different nodes.
        var first = ranked[replica % ranked.Count];
        var candidates = new[] { first }.Concat(ranked.Take(top)).Concat(ranked.Skip(top));
        foreach (var candidate in candidates)
        {
            if (!taken.Contains(candidate))
            {
                return candidate;
            }
        }

        return first;
    }

    /// <summary>
    /// Whether replica <paramref name="replica"/>, active on <paramref name="here"/>, should move now, and to which
    /// node (what <see cref="Place"/> then picks); null when it stays.
    /// </summary>
    public static T? MoveTarget<T>(int replica, int replicas, T here, IReadOnlyList<T> ranked, IReadOnlyDictionary<int, T> twins)
        where T : class
    {
        var placed = twins.Where(t => t.Key != replica).ToDictionary(t => t.Key, t => t.Value);
        placed[replica] = here;
        if (ranked.Count == 0 || !Misplaced(replica, replicas, ranked, placed))
        {
            return null;
        }

        if (replicas > 1 && placed.Count == 1)
        {
            return null; // no twin is active to answer for the shard while this one reloads elsewhere: wait for one
        }

        if (placed.Any(t => t.Key < replica && Misplaced(t.Key, replicas, ranked, placed)))
        {
            return null; // a lower-numbered twin moves first: one replica of a shard at a time
        }

        placed.Remove(replica);
        var target = Place(replica, replicas, ranked, placed);
        return target.Equals(here) ? null : target;
    }

    /// <summary>
    /// Whether replica <paramref name="replica"/> is not where it belongs: off the shard's top <c>replicas</c> nodes,
    /// or (while there are enough nodes) on a node a lower-numbered twin holds.
    /// </summary>
    private static bool Misplaced<T>(int replica, int replicas, IReadOnlyList<T> ranked, Dictionary<int, T> placed)
        where T : class
    {
        var at = placed[replica];
        var top = Math.Min(Math.Max(1, replicas), ranked.Count);
        if (!ranked.Take(top).Contains(at))
        {
            return true;
        }

        return ranked.Count >= replicas && placed.Any(t => t.Key < replica && t.Value.Equals(at));
    }
}

/// <summary>The ranking of nodes for one shard, shared by placement and by the fan-out's "local replica first".</summary>
internal static class ReplicaRanking
{
    /// <summary>The silos, best first for <paramref name="shardKey"/>: by a hash of the shard key and the silo's endpoint (not its generation, so a restarted node gets its shards back).</summary>
    public static List<SiloAddress> Rank(string shardKey, IEnumerable<SiloAddress> silos) =>
        [.. silos.OrderByDescending(silo => Score(shardKey, silo)).ThenBy(silo => silo.Endpoint.ToString(), StringComparer.Ordinal)];

    private static ulong Score(string shardKey, SiloAddress silo) =>
        XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{shardKey}|{silo.Endpoint}"));
}
