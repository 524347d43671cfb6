namespace Retrieval.Core.Storage;

/// <summary>
/// A migration's streamed anchor statistics as a batch leaves them, committed in the batch's transaction
/// (<see cref="MigrationMarks.Statistics"/>): the statistics replace the stored ones whole, and the reservoir slots named
/// here are set. Because they commit with the items that became native, a crash can neither lose a pair nor count one
/// twice: a repeated batch finds its items native already and adds nothing.
/// </summary>
/// <remarks>
/// The replacement is a compare-and-set on the stored statistics' version (<see cref="ExpectedVersion"/>): two nodes
/// that computed their successors from the same stored statistics cannot both commit, so neither overwrites the pairs of
/// the other. The store refuses the loser's whole batch with <see cref="MigrationStatisticsConflictException"/>; the engine
/// reads the statistics again, recomputes the batch's marks over them and sends it again.
/// </remarks>
/// <param name="Data">The serialized statistics (Core <c>AnchorStatistics</c>), opaque to the store.</param>
/// <param name="HeldOutPairs">Pairs of the stream kept out of the statistics (the held-out slice), in total.</param>
/// <param name="SeedPairs">Pairs the statistics started from (the fit's inline anchors and the items holding both vectors when the stream began).</param>
/// <param name="ReservoirSlots">Reservoir slots set by this batch (empty for the kinds that fit from the statistics alone).</param>
public sealed record MigrationStatisticsWrite(byte[] Data, long HeldOutPairs, long SeedPairs, IReadOnlyList<MigrationReservoirSlot> ReservoirSlots)
{
    /// <summary>
    /// The version of the stored statistics these replace (<see cref="StoredMigrationStatistics.Version"/>), or null when
    /// the engine read none. The store writes them only while the stored version is still this one (or, with null, while
    /// none is stored), and stores them as <see cref="NextVersion"/>.
    /// </summary>
    public long? ExpectedVersion { get; init; }

    /// <summary>The version the statistics are stored under: one more than <see cref="ExpectedVersion"/> (1 for the first batch).</summary>
    public long NextVersion => (ExpectedVersion ?? 0) + 1;
}

/// <summary>One slot of a migration's bounded reservoir sample of anchor pairs: the item whose (old, new) vectors it holds.</summary>
/// <param name="Slot">The slot, in <c>[0, reservoir size)</c>.</param>
/// <param name="ItemId">The item sampled into it.</param>
public readonly record struct MigrationReservoirSlot(int Slot, string ItemId);

/// <summary>A migration's stored statistics and reservoir, as <see cref="IMigrationStore.GetMigrationStatisticsAsync"/> reads them.</summary>
/// <param name="Data">The serialized statistics.</param>
/// <param name="HeldOutPairs">Pairs of the stream kept out of the statistics.</param>
/// <param name="SeedPairs">Pairs the statistics started from.</param>
/// <param name="Reservoir">Every reservoir slot, in slot order.</param>
/// <param name="Version">
/// How many batches have replaced the statistics: 0 for the statistics <c>fit</c> stored from its inline anchors
/// (<see cref="MigrationUpdate.SeedStatistics"/>), then one more per batch.
/// </param>
public sealed record StoredMigrationStatistics(byte[] Data, long HeldOutPairs, long SeedPairs, IReadOnlyList<MigrationReservoirSlot> Reservoir, long Version);

/// <summary>
/// A batch's statistics named a stored version that another writer (another node of a cluster) replaced first; nothing
/// of the batch was committed. The engine reads the statistics again and retries; it never reaches a client.
/// </summary>
public sealed class MigrationStatisticsConflictException : Exception
{
    public MigrationStatisticsConflictException(string collection, string migrationId, long? expectedVersion)
        : base($"the anchor statistics of migration '{migrationId}' of collection '{collection}' are no longer at version {(expectedVersion is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none")} (another node's batch replaced them first); the batch was not committed")
    {
        Collection = collection;
        MigrationId = migrationId;
    }

    public MigrationStatisticsConflictException()
    {
        Collection = MigrationId = string.Empty;
    }

    public MigrationStatisticsConflictException(string message)
        : base(message)
    {
        Collection = MigrationId = string.Empty;
    }

    public MigrationStatisticsConflictException(string message, Exception inner)
        : base(message, inner)
    {
        Collection = MigrationId = string.Empty;
    }

    /// <summary>The batch's collection.</summary>
    public string Collection { get; }

    /// <summary>The migration whose statistics moved.</summary>
    public string MigrationId { get; }
}
