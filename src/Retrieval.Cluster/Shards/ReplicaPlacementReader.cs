using Retrieval.Engine;

namespace Retrieval.Cluster.Shards;

/// <summary>
/// Grains placement: asks every replica of every collection's shards where it lives and what it holds, for cluster
/// status. Asking activates a replica that is not active yet (it then loads where the placement puts it); one that does
/// not answer within the replica call timeout is listed with the error.
/// </summary>
internal sealed class ReplicaPlacementReader(RetrievalEngine engine, IGrainFactory grains, ClusterModeOptions options)
{
    public async Task<IReadOnlyList<ShardReplicaPlacement>> ReadAsync(CancellationToken cancellationToken)
    {
        var keys = engine.ListCollections()
            .SelectMany(c => Enumerable.Range(0, Math.Max(1, c.Definition.Shards))
                .SelectMany(shard => Enumerable.Range(0, Math.Max(1, c.Definition.Replicas)).Select(r => new ShardReplicaKey(c.Definition.Name, shard, r))))
            .ToList();
        var asks = keys.Select(key => AskAsync(key, cancellationToken)).ToArray();
        return await Task.WhenAll(asks);
    }

    private async Task<ShardReplicaPlacement> AskAsync(ShardReplicaKey key, CancellationToken cancellationToken)
    {
        try
        {
            var status = await grains.GetGrain<IShardReplicaGrain>(key.ToString()).GetStatusAsync()
                .WaitAsync(TimeSpan.FromMilliseconds(options.ReplicaCallTimeoutMilliseconds), cancellationToken);
            return new ShardReplicaPlacement(key.Collection, key.Shard, key.Replica, status.Node, status.Items, status.AppliedSequence, null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Reported, not thrown: status shows the replicas that answered and why the others did not.
            return new ShardReplicaPlacement(key.Collection, key.Shard, key.Replica, "", 0, 0, $"{e.GetType().Name}: {e.Message}");
        }
    }
}
