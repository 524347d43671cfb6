namespace Retrieval.Core.Storage;

/// <summary>
/// An atomic write: upserts and deletes committed together under one sequence number.
/// Ids are unique within the batch (upserts and deletes together).
/// </summary>
public sealed record WriteBatch(IReadOnlyList<ItemWrite> Upserts, IReadOnlyList<string> Deletes)
{
    /// <summary>Effects on the collection's open migration, committed with the batch; null when none.</summary>
    public MigrationMarks? Migration { get; init; }

    /// <summary>
    /// The definition and open migration the batch was validated against, checked by the store in the commit's transaction
    /// (nodes of a cluster); null when no check is needed (one process writes the store).
    /// </summary>
    public WriteGuard? Guard { get; init; }

    /// <summary>
    /// The shard of each id, recorded with the rows (see <see cref="BatchShards"/>). Null writes every row to shard 0: right
    /// for a one-shard collection only, so the engine always sets it.
    /// </summary>
    public BatchShards? Shards { get; init; }

    public static WriteBatch ForUpserts(IReadOnlyList<ItemWrite> upserts) => new(upserts, []);

    public static WriteBatch ForDeletes(IReadOnlyList<string> ids) => new([], ids);
}
