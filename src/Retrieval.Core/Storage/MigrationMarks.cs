using Retrieval.Core.Migrations;

namespace Retrieval.Core.Storage;

/// <summary>
/// What a write batch does to an open migration, committed in the same transaction as the batch: counters move by the
/// deltas, checkpoints advance, and the set of items whose new-space vector is derived (not native) changes.
/// Because the marks commit with the data, a crash can lose neither one without the other.
/// </summary>
/// <param name="MigrationId">The open migration of the batch's collection.</param>
/// <param name="Phase">
/// The migration's phase as the engine read it under the collection's write gate. The store applies the marks only while
/// the stored phase is still this one (a compare-and-set); otherwise the whole batch fails.
/// </param>
/// <param name="BackfilledDelta">Items whose new vector became native with this batch.</param>
/// <param name="MappedOnWriteDelta">Old vectors produced through the map in this batch.</param>
/// <param name="DerivedOnWriteDelta">New vectors derived through the inverse map in this batch.</param>
/// <param name="DerivedIds">Items whose new vector is derived after this batch.</param>
/// <param name="NativeIds">Items whose new vector is native after this batch, or that were deleted: no longer derived.</param>
/// <param name="WorkerCursor">New worker cursor, or null to keep it.</param>
/// <param name="ClientCheckpoint">New client checkpoint, or null to keep it.</param>
/// <param name="WorkerStep">
/// Set on a step of the server backfill worker: the store applies the marks only while the stored worker cursor is
/// still the one the step started from (a compare-and-set, like <paramref name="Phase"/>), so a stale runner (another
/// node whose lease expired mid-step) cannot commit a batch over the progress of the runner that took over.
/// </param>
public sealed record MigrationMarks(
    string MigrationId,
    MigrationPhase Phase,
    long BackfilledDelta,
    long MappedOnWriteDelta,
    long DerivedOnWriteDelta,
    IReadOnlyList<string> DerivedIds,
    IReadOnlyList<string> NativeIds,
    string? WorkerCursor = null,
    string? ClientCheckpoint = null,
    MigrationWorkerStep? WorkerStep = null)
{
    /// <summary>
    /// The migration's anchor statistics after this batch (online refit, issue 18), stored in the same transaction; null
    /// leaves them as they are.
    /// </summary>
    public MigrationStatisticsWrite? Statistics { get; init; }
}

/// <summary>What a server backfill worker step read before producing its batch: the committed cursor it walked from.</summary>
/// <param name="CursorBefore">The worker cursor the step started from; null when the walk started at the first item.</param>
public sealed record MigrationWorkerStep(string? CursorBefore);
