namespace Retrieval.Core.Storage;

/// <summary>
/// Shard snapshot files kept in the store of record (PostgreSQL), so that every node of a cluster reads the snapshot any
/// node wrote and no shared volume is needed. The store keeps the bytes as given: the engine writes and checks the file
/// format (its checksum included); a file that fails the check is ignored by the engine, not by the store. A collection's
/// snapshots go when the collection is deleted.
/// </summary>
public interface IShardSnapshotStore
{
    /// <summary>
    /// Replaces the snapshot of (<paramref name="collection"/>, <paramref name="shard"/>) by <paramref name="content"/> (read
    /// to its end), recorded as covering <paramref name="sequence"/>, in one transaction: a reader gets the old one or the new
    /// one whole. NotFound when the collection is unknown (deleted meanwhile): nothing is kept.
    /// </summary>
    Task WriteShardSnapshotAsync(string collection, int shard, long sequence, Stream content, CancellationToken cancellationToken);

    /// <summary>
    /// Copies the snapshot of (<paramref name="collection"/>, <paramref name="shard"/>) into <paramref name="destination"/>
    /// and returns the sequence it was recorded with; null (and nothing copied) when there is none.
    /// </summary>
    Task<long?> ReadShardSnapshotAsync(string collection, int shard, Stream destination, CancellationToken cancellationToken);

    /// <summary>True when any shard of the collection has a snapshot.</summary>
    Task<bool> HasShardSnapshotsAsync(string collection, CancellationToken cancellationToken);

    /// <summary>Deletes every shard snapshot of the collection (none is not an error).</summary>
    Task DeleteShardSnapshotsAsync(string collection, CancellationToken cancellationToken);
}
