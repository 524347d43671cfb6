using Retrieval.Core.Maps;
using Retrieval.Core.Migrations;
using Retrieval.Core.Model;

namespace Retrieval.Core.Storage;

/// <summary>
/// The store of record. Every index is derived from it. Implementations: SQLite (embedded default) and
/// PostgreSQL. All methods are safe to call concurrently; writes to one collection are serialized by the
/// caller (the engine) so that sequence order equals apply order.
/// </summary>
public interface IRetrievalStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Kind { get; }

    /// <summary>
    /// Opens the store. SQLite creates or migrates its schema; PostgreSQL verifies that its schema is current
    /// and throws <see cref="StoreSchemaException"/> when <c>retrieval db migrate</c> has not been run.
    /// </summary>
    Task OpenAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<CollectionDefinition>> ListCollectionsAsync(CancellationToken cancellationToken);

    /// <summary>Throws <see cref="Errors.RetrievalException"/> (AlreadyExists) when the name is taken.</summary>
    Task CreateCollectionAsync(CollectionDefinition collection, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a collection's definition (spaces, default space). When <paramref name="removedSpace"/> is set,
    /// every vector of that space is deleted in the same transaction. NotFound when the collection is unknown.
    /// </summary>
    Task UpdateCollectionAsync(CollectionDefinition collection, string? removedSpace, CancellationToken cancellationToken);

    /// <summary>Deletes a collection with all its items and maps. Returns false when it did not exist.</summary>
    Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Commits one batch atomically and returns the sequence number assigned to it (strictly increasing per
    /// collection). Deleting an unknown id is not an error. Returns only after the commit is durable.
    /// </summary>
    Task<long> WriteAsync(string collection, WriteBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// Streams changes with a sequence greater than <paramref name="afterSequence"/> in ascending sequence order
    /// (ties by id): the current state of each item written since, and a delete entry for each item deleted
    /// since (and not re-created). With 0 it yields every live item: the full load.
    /// </summary>
    IAsyncEnumerable<ItemChange> ReadChangesAsync(string collection, long afterSequence, CancellationToken cancellationToken);

    /// <summary>The current state of the given ids; unknown ids are left out. Order is unspecified.</summary>
    Task<IReadOnlyList<StoredItem>> GetItemsAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken);

    /// <summary>
    /// The raw inputs stored for the given ids (collections that keep them): in one space, or every space when
    /// <paramref name="space"/> is null. Ids without a stored input are left out; order is unspecified. NotFound when
    /// the collection is unknown. Inputs are written by <see cref="WriteAsync"/> (<see cref="ItemWrite.RawInputs"/>)
    /// and removed with their item, space or collection.
    /// </summary>
    Task<IReadOnlyList<StoredRawInput>> GetRawInputsAsync(string collection, IReadOnlyList<string> ids, string? space, CancellationToken cancellationToken);

    /// <summary>Number of live items.</summary>
    Task<long> CountItemsAsync(string collection, CancellationToken cancellationToken);

    /// <summary>The last sequence number assigned in the collection (0 when none).</summary>
    Task<long> GetLastSequenceAsync(string collection, CancellationToken cancellationToken);

    /// <summary>Stores a new compatibility map. NotFound when the collection is unknown; AlreadyExists when the id is taken.</summary>
    Task SaveMapAsync(StoredMap map, CancellationToken cancellationToken);

    /// <summary>The maps of a collection ordered by creation time, then id (empty for an unknown collection).</summary>
    Task<IReadOnlyList<StoredMap>> ListMapsAsync(string collection, CancellationToken cancellationToken);

    /// <summary>One map, or null when unknown.</summary>
    Task<StoredMap?> GetMapAsync(string collection, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a map to <paramref name="state"/> and sets its <c>updated_at</c>. Activating retires the active map of the
    /// same (collection, from, to) in the same transaction, so at most one is active. Returns false when the map is unknown.
    /// </summary>
    Task<bool> SetMapStateAsync(string collection, string id, MapState state, DateTimeOffset updatedAt, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a new migration and its first audit event. NotFound when the collection is unknown; AlreadyExists when the id
    /// is taken; FailedPrecondition when another migration of the same (collection, from space) is still open.
    /// </summary>
    Task CreateMigrationAsync(StoredMigration migration, string note, CancellationToken cancellationToken);

    /// <summary>The migrations of a collection ordered by creation time, then id (empty for an unknown collection).</summary>
    Task<IReadOnlyList<StoredMigration>> ListMigrationsAsync(string collection, CancellationToken cancellationToken);

    /// <summary>One migration, or null when unknown.</summary>
    Task<StoredMigration?> GetMigrationAsync(string collection, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Compare-and-set of a migration's phase and plan (phase, settings, maps, calibration, previous default space,
    /// updated_at, changed_by; never its counters or checkpoints, which only <see cref="WriteAsync"/> moves): applied only
    /// when the stored phase is still <paramref name="expectedPhase"/>, with an audit event when the phase changes. When
    /// <paramref name="definition"/> is given the collection's definition is replaced in the same transaction (and the
    /// vectors of <paramref name="removedSpace"/> deleted), so cutover and retire are atomic. Returns false when the phase
    /// differed or the migration is unknown; nothing changed then.
    /// </summary>
    Task<bool> UpdateMigrationAsync(
        StoredMigration migration,
        MigrationPhase expectedPhase,
        string note,
        CollectionDefinition? definition,
        string? removedSpace,
        CancellationToken cancellationToken);

    /// <summary>Ids of the items whose new-space vector is derived (through the inverse map) under the migration.</summary>
    Task<IReadOnlyList<string>> ListDerivedItemsAsync(string collection, string migrationId, CancellationToken cancellationToken);

    /// <summary>The migration's audit trail, oldest first.</summary>
    Task<IReadOnlyList<MigrationEvent>> ListMigrationEventsAsync(string collection, string migrationId, CancellationToken cancellationToken);
}
