using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Cluster;

/// <summary>
/// After a batch commits (and this node applied it), tells every replica of the shards it touched to apply it: the
/// write path's one step toward the replicas. It does not wait for them: this node's searches ask each replica for the
/// sequence it acknowledged (read-your-writes), and a replica that misses the notice catches up at its next search.
/// </summary>
internal sealed class ReplicaApplyNotice(IRemoteShards remote)
{
    public void Committed(CollectionDefinition definition, WriteBatch batch, long sequence)
    {
        var shards = new HashSet<int>();
        var count = Math.Max(1, definition.Shards);
        foreach (var write in batch.Upserts)
        {
            shards.Add(ShardAssignment.ShardOf(write.Id, count));
        }

        foreach (var id in batch.Deletes)
        {
            shards.Add(ShardAssignment.ShardOf(id, count));
        }

        if (shards.Count > 0)
        {
            remote.Committed(definition.Name, definition.Replicas, sequence, shards);
        }
    }
}
