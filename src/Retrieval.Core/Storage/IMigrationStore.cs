namespace Retrieval.Core.Storage;

/// <summary>
/// The store's migration role: model-upgrade migrations, their audit trail and their derived-item lists. The store persists
/// what the engine decided; which phase may follow which, which migrations count as open and what closing one implies are
/// the engine's rules. A migration's counters and checkpoints move only with the batches they describe
/// (<see cref="WriteBatch.Migration"/>).
/// </summary>
public interface IMigrationStore
{
    /// <summary>
    /// Stores a new migration and its first audit event. NotFound when the collection is unknown; AlreadyExists when the id
    /// is taken. Whether another migration may be open is checked by the engine under its gate; the schema backs that up
    /// with a unique index over the open migration of each (collection, from space), and an insert the index refuses fails
    /// with FailedPrecondition.
    /// </summary>
    Task CreateMigrationAsync(StoredMigration migration, string note, CancellationToken cancellationToken);

    /// <summary>The migrations of a collection ordered by creation time, then id (empty for an unknown collection).</summary>
    Task<IReadOnlyList<StoredMigration>> ListMigrationsAsync(string collection, CancellationToken cancellationToken);

    /// <summary>One migration, or null when unknown.</summary>
    Task<StoredMigration?> GetMigrationAsync(string collection, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Commits one <see cref="MigrationUpdate"/> as a compare-and-set on the stored phase, in one transaction. Returns false
    /// when the phase differed or the migration is unknown; nothing changed then.
    /// </summary>
    Task<bool> UpdateMigrationAsync(MigrationUpdate update, CancellationToken cancellationToken);

    /// <summary>Ids of the items whose new-space vector is derived (through the inverse map) under the migration.</summary>
    Task<IReadOnlyList<string>> ListDerivedItemsAsync(string collection, string migrationId, CancellationToken cancellationToken);

    /// <summary>
    /// The migration's streamed anchor statistics and reservoir (<see cref="MigrationMarks.Statistics"/>), or null when no
    /// batch has stored any.
    /// </summary>
    Task<StoredMigrationStatistics?> GetMigrationStatisticsAsync(string collection, string migrationId, CancellationToken cancellationToken);

    /// <summary>The operator's evaluation queries stored with the migration (<see cref="MigrationUpdate.EvaluationQueries"/>), or null when none were.</summary>
    Task<byte[]?> GetMigrationEvaluationQueriesAsync(string collection, string migrationId, CancellationToken cancellationToken);

    /// <summary>The migration's audit trail, oldest first.</summary>
    Task<IReadOnlyList<MigrationEvent>> ListMigrationEventsAsync(string collection, string migrationId, CancellationToken cancellationToken);
}
