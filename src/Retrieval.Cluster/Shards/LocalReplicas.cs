using System.Collections.Concurrent;

namespace Retrieval.Cluster.Shards;

/// <summary>
/// The shard replicas loaded on this node (added when a grain's activation has loaded its replica, removed at its
/// deactivation), so that a search asks the local replica of a shard first without a directory lookup.
/// </summary>
internal sealed class LocalReplicas
{
    private readonly ConcurrentDictionary<ShardReplicaKey, byte> _loaded = new();

    public void Add(ShardReplicaKey key) => _loaded[key] = 0;

    public void Remove(ShardReplicaKey key) => _loaded.TryRemove(key, out _);

    public bool Contains(ShardReplicaKey key) => _loaded.ContainsKey(key);
}
