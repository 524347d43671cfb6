using Retrieval.Engine;

namespace Retrieval.Cluster.Shards;

/// <summary>
/// Grains placement: where every replica of every collection's shards lives and what it holds, for cluster status.
/// Reading status loads nothing: a replica the grain directory knows on no live node is listed not loaded; the others
/// are asked (at most <see cref="MaxConcurrentAsks"/> at once, each within the replica call timeout), and one that does
/// not answer is listed with the error.
/// </summary>
internal sealed class ReplicaPlacementReader(
    RetrievalEngine engine, IGrainFactory grains, ReplicaLocator locator, IClusterMembershipService membership, ClusterModeOptions options)
{
    /// <summary>Replicas asked at once: status of many collections must not flood the cluster with calls.</summary>
    public const int MaxConcurrentAsks = 16;

    public async Task<IReadOnlyList<ShardReplicaPlacement>> ReadAsync(CancellationToken cancellationToken)
    {
        var keys = engine.ListCollections()
            .SelectMany(c => Enumerable.Range(0, Math.Max(1, c.Definition.Shards))
                .SelectMany(shard => Enumerable.Range(0, Math.Max(1, c.Definition.Replicas)).Select(r => new ShardReplicaKey(c.Definition.Name, shard, r))))
            .ToList();
        var live = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToHashSet();
        using var gate = new SemaphoreSlim(MaxConcurrentAsks);
        var asks = keys.Select(key => AskAsync(key, live, gate, cancellationToken)).ToArray();
        return await Task.WhenAll(asks);
    }

    private async Task<ShardReplicaPlacement> AskAsync(ShardReplicaKey key, HashSet<SiloAddress> live, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (await locator.LocateAsync(key) is not { } silo || !live.Contains(silo))
            {
                return new ShardReplicaPlacement(key.Collection, key.Shard, key.Replica, "", 0, 0, null, Loaded: false);
            }

            var status = await grains.GetGrain<IShardReplicaGrain>(key.ToString()).GetStatusAsync()
                .WaitAsync(TimeSpan.FromMilliseconds(options.ReplicaCallTimeoutMilliseconds), cancellationToken);
            return new ShardReplicaPlacement(key.Collection, key.Shard, key.Replica, status.Node, status.Items, status.AppliedSequence, null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Reported, not thrown: status shows the replicas that answered and why the others did not.
            return new ShardReplicaPlacement(key.Collection, key.Shard, key.Replica, "", 0, 0, $"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            gate.Release();
        }
    }
}
