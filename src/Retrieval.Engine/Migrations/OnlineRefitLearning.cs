using Retrieval.Core.Maps;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// What an open migration has learnt from its backfill so far, in memory: the committed anchor statistics, the held-out
/// and seed counts and the reservoir of item ids. A batch stages its successor (<see cref="Stage"/>) before its commit;
/// <see cref="Commit"/>, called when the batch's marks are applied (after the store committed them, also for a commit
/// whose outcome was settled later), makes it current. So memory follows the store exactly: a batch that did not commit
/// leaves nothing behind. Mutated under the collection's write lock; refits read a copy under its read lock.
/// </summary>
internal sealed class OnlineRefitLearning
{
    private (MigrationStatisticsWrite Write, AnchorStatistics Statistics)? _staged;

    public OnlineRefitLearning(AnchorStatistics? statistics, long heldOutPairs, long seedPairs, string?[] reservoir, DateTimeOffset startedAt)
    {
        Statistics = statistics;
        HeldOutPairs = heldOutPairs;
        SeedPairs = seedPairs;
        Reservoir = reservoir;
        StartedAt = startedAt;
    }

    /// <summary>The committed statistics; null until the first batch seeded them.</summary>
    public AnchorStatistics? Statistics { get; private set; }

    /// <summary>Pairs of the stream kept out of the statistics.</summary>
    public long HeldOutPairs { get; private set; }

    /// <summary>Pairs the statistics started from (the items that held both vectors when the stream began).</summary>
    public long SeedPairs { get; private set; }

    /// <summary>Reservoir slots (item ids, null while empty); length 0 for the kinds that fit from the statistics.</summary>
    public string?[] Reservoir { get; private set; }

    /// <summary>
    /// The version of the stored statistics this learning reflects (the compare-and-set value of the next batch's write):
    /// null when none is stored, 0 for the statistics <c>fit</c> stored from its inline anchors, then one more per batch.
    /// </summary>
    public long? Version { get; private set; }

    /// <summary>
    /// Whether a batch already added the items that held both vectors when the stream began (the first batch does, over
    /// whatever fit stored).
    /// </summary>
    public bool ItemsSeeded => Version > 0;

    /// <summary>When this process started following the stream (the time schedule counts from here before a first refit).</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Pairs seen by the stream: in the statistics and held out.</summary>
    public long TotalPairs => (Statistics?.Count ?? 0) + HeldOutPairs;

    /// <summary>Pairs the stream added after its seed (what the refit schedule counts).</summary>
    public long StreamedPairs => TotalPairs - SeedPairs;

    /// <summary>Pairs seen when a refit last could not fit (too few pairs); the schedule waits for more.</summary>
    public long FailedAtPairs { get; set; } = -1;

    /// <summary>Remembers the statistics a batch will commit; replaces any earlier staged batch that never committed.</summary>
    public void Stage(MigrationStatisticsWrite write, AnchorStatistics statistics) => _staged = (write, statistics);

    /// <summary>Makes a committed batch's statistics current. Caller holds the collection's write lock.</summary>
    public void Commit(MigrationStatisticsWrite write)
    {
        // The staged object is the one the batch computed; after a crash-free uncertain commit it is still staged. Anything
        // else (never expected: batches are serialized by the write gate) is decoded from what the store committed.
        Statistics = _staged is { } staged && ReferenceEquals(staged.Write, write) ? staged.Statistics : AnchorStatistics.Deserialize(write.Data);
        _staged = null;
        Version = write.NextVersion;
        HeldOutPairs = write.HeldOutPairs;
        SeedPairs = write.SeedPairs;
        foreach (var slot in write.ReservoirSlots)
        {
            Reservoir[slot.Slot] = slot.ItemId;
        }
    }

    /// <summary>Learning restored from the store at start.</summary>
    public static OnlineRefitLearning FromStored(StoredMigrationStatistics stored, int reservoirSize, DateTimeOffset now)
    {
        var reservoir = new string?[Math.Max(reservoirSize, stored.Reservoir.Count == 0 ? 0 : stored.Reservoir.Max(s => s.Slot) + 1)];
        foreach (var slot in stored.Reservoir)
        {
            reservoir[slot.Slot] = slot.ItemId;
        }

        return new OnlineRefitLearning(AnchorStatistics.Deserialize(stored.Data), stored.HeldOutPairs, stored.SeedPairs, reservoir, now) { Version = stored.Version };
    }

    /// <summary>
    /// Learning that starts from the statistics of <c>fit</c>'s inline anchors (stored as version 0): anchors that are not
    /// items of the collection, so no batch would ever add them.
    /// </summary>
    public static OnlineRefitLearning FromFit(AnchorStatistics statistics, int reservoirSize, DateTimeOffset now) =>
        new(statistics, 0, statistics.Count, new string?[reservoirSize], now) { Version = 0 };
}
