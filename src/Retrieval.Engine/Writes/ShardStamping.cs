using System.Runtime.CompilerServices;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Writes;

/// <summary>
/// Gives what goes to the store the shard of each id (<see cref="ShardAssignment"/> with the collection's shard count), so
/// that the store records it beside the rows and a shard replica can read its own changes. The store applies no rule of
/// its own: it records what it is given.
/// </summary>
internal static class ShardStamping
{
    /// <summary><paramref name="batch"/> with the shard of every upsert and delete.</summary>
    public static WriteBatch Stamp(WriteBatch batch, int shards)
    {
        var upserts = new int[batch.Upserts.Count];
        for (var i = 0; i < upserts.Length; i++)
        {
            upserts[i] = ShardAssignment.ShardOf(batch.Upserts[i].Id, shards);
        }

        var deletes = new int[batch.Deletes.Count];
        for (var i = 0; i < deletes.Length; i++)
        {
            deletes[i] = ShardAssignment.ShardOf(batch.Deletes[i], shards);
        }

        return batch with { Shards = new BatchShards(upserts, deletes) };
    }

    /// <summary><paramref name="changes"/> (rows read from an archive, to be imported) with each id's shard.</summary>
    public static async IAsyncEnumerable<ItemChange> Stamp(
        IAsyncEnumerable<ItemChange> changes, int shards, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var change in changes.WithCancellation(cancellationToken))
        {
            yield return change with { Shard = ShardAssignment.ShardOf(change.Id, shards) };
        }
    }
}
