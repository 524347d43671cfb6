using Retrieval.Core.Model;

namespace Retrieval.Core.Storage;

/// <summary>
/// Every row a store holds for one collection, as they are: what <see cref="ICollectionTransferStore"/> reads out for a
/// snapshot and writes back on restore. The sequences are read once each, in declaration order (a store streams them
/// from one transaction, an archive from one pass over its entries).
/// </summary>
/// <param name="Definition">The definition, with its creation and update times.</param>
/// <param name="LastSequence">The last sequence number assigned in the collection: the point the rows describe.</param>
/// <param name="Changes">
/// The sequence log: every live item (<see cref="ItemChange.Item"/> set) and every tombstone, in (sequence, id) order,
/// each with the sequence number it was written at. Tombstones are kept so that index snapshots taken before the
/// rows still replay correctly against them.
/// </param>
/// <param name="RawInputs">The stored raw inputs, by (item, space).</param>
/// <param name="Maps">The compatibility maps, any state.</param>
/// <param name="Migrations">The migrations, any phase.</param>
/// <param name="MigrationEvents">Every migration's audit trail, oldest first within a migration.</param>
/// <param name="DerivedItems">The items whose new-space vector is derived under a migration.</param>
public sealed record CollectionRows(
    CollectionDefinition Definition,
    long LastSequence,
    IAsyncEnumerable<ItemChange> Changes,
    IAsyncEnumerable<StoredRawInput> RawInputs,
    IAsyncEnumerable<StoredMap> Maps,
    IAsyncEnumerable<StoredMigration> Migrations,
    IAsyncEnumerable<MigrationEvent> MigrationEvents,
    IAsyncEnumerable<MigrationDerivedItem> DerivedItems);

/// <summary>One entry of a migration's derived-item list.</summary>
public sealed record MigrationDerivedItem(string MigrationId, string ItemId);
