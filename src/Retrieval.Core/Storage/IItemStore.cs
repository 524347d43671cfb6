namespace Retrieval.Core.Storage;

/// <summary>
/// The store's item role: items, their vectors and the per-collection sequence log every index is rebuilt from. Writes to
/// one collection are serialized by the caller (the engine), so that sequence order equals apply order.
/// </summary>
public interface IItemStore
{
    /// <summary>
    /// Commits one batch atomically and returns the sequence number assigned to it (strictly increasing per
    /// collection). Deleting an unknown id is not an error. Returns only after the commit is durable. A batch that carries
    /// <see cref="WriteBatch.Migration"/> marks commits them in the same transaction, or fails whole (FailedPrecondition)
    /// when the migration's stored phase is no longer <see cref="MigrationMarks.Phase"/>. A batch with a
    /// <see cref="WriteBatch.Guard"/> commits only while the stored definition version and open migration are the
    /// guard's, otherwise nothing of it is written and it fails Aborted.
    /// </summary>
    Task<long> WriteAsync(string collection, WriteBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// Commits several batches in one transaction (group commit: one durable commit for all of them) and returns their
    /// sequence numbers, consecutive and in list order. Each batch is written exactly as <see cref="WriteAsync"/> would
    /// write it, under its own sequence (its guard and marks checked as there), and the group commits whole or not at
    /// all: when any batch is refused, nothing of any of them is written and the error is that batch's.
    /// </summary>
    Task<IReadOnlyList<long>> WriteGroupAsync(string collection, IReadOnlyList<WriteBatch> batches, CancellationToken cancellationToken);

    /// <summary>
    /// Streams changes with a sequence greater than <paramref name="afterSequence"/> in ascending sequence order
    /// (ties by id): the current state of each item written since, and a delete entry for each item deleted
    /// since (and not re-created). With 0 it yields every live item: the full load.
    /// </summary>
    IAsyncEnumerable<ItemChange> ReadChangesAsync(string collection, long afterSequence, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="ReadChangesAsync"/> restricted to the ids recorded in <paramref name="shard"/> (<see cref="WriteBatch.Shards"/>):
    /// the same order, the same snapshot semantics, read through the (collection, shard, sequence) index so that a shard
    /// replica catching up reads its own changes only. A shard the collection does not have yields nothing; a negative
    /// one throws <see cref="ArgumentOutOfRangeException"/>. NotFound when the collection is unknown.
    /// </summary>
    IAsyncEnumerable<ItemChange> ReadShardChangesAsync(string collection, int shard, long afterSequence, CancellationToken cancellationToken);

    /// <summary>The current state of the given ids; unknown ids are left out. Order is unspecified.</summary>
    Task<IReadOnlyList<StoredItem>> GetItemsAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken);

    /// <summary>Number of live items.</summary>
    Task<long> CountItemsAsync(string collection, CancellationToken cancellationToken);

    /// <summary>The last sequence number assigned in the collection (0 when none).</summary>
    Task<long> GetLastSequenceAsync(string collection, CancellationToken cancellationToken);
}
