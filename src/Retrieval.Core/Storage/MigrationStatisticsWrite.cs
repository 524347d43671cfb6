namespace Retrieval.Core.Storage;

/// <summary>
/// A migration's streamed anchor statistics as a batch leaves them, committed in the batch's transaction
/// (<see cref="MigrationMarks.Statistics"/>): the statistics replace the stored ones whole, and the reservoir slots named
/// here are set. Because they commit with the items that became native, a crash can neither lose a pair nor count one
/// twice: a repeated batch finds its items native already and adds nothing.
/// </summary>
/// <param name="Data">The serialized statistics (Core <c>AnchorStatistics</c>), opaque to the store.</param>
/// <param name="HeldOutPairs">Pairs of the stream kept out of the statistics (the held-out slice), in total.</param>
/// <param name="SeedPairs">Pairs the statistics started from (the items holding both vectors when the stream began).</param>
/// <param name="ReservoirSlots">Reservoir slots set by this batch (empty for the kinds that fit from the statistics alone).</param>
public sealed record MigrationStatisticsWrite(byte[] Data, long HeldOutPairs, long SeedPairs, IReadOnlyList<MigrationReservoirSlot> ReservoirSlots);

/// <summary>One slot of a migration's bounded reservoir sample of anchor pairs: the item whose (old, new) vectors it holds.</summary>
/// <param name="Slot">The slot, in <c>[0, reservoir size)</c>.</param>
/// <param name="ItemId">The item sampled into it.</param>
public readonly record struct MigrationReservoirSlot(int Slot, string ItemId);

/// <summary>A migration's stored statistics and reservoir, as <see cref="IMigrationStore.GetMigrationStatisticsAsync"/> reads them.</summary>
/// <param name="Data">The serialized statistics.</param>
/// <param name="HeldOutPairs">Pairs of the stream kept out of the statistics.</param>
/// <param name="SeedPairs">Pairs the statistics started from.</param>
/// <param name="Reservoir">Every reservoir slot, in slot order.</param>
public sealed record StoredMigrationStatistics(byte[] Data, long HeldOutPairs, long SeedPairs, IReadOnlyList<MigrationReservoirSlot> Reservoir);
