using Retrieval.Core.Migrations;
using Retrieval.Core.Model;

namespace Retrieval.Core.Storage;

/// <summary>
/// One change of a migration's phase and plan as the engine decided it, for <see cref="IMigrationStore.UpdateMigrationAsync"/>.
/// The store writes the migration's phase, settings, maps, calibration, previous default space, encoder, updated_at and
/// changed_by (never its counters or checkpoints, which only batches move) when the stored phase is still
/// <see cref="ExpectedPhase"/>, records an audit event when the phase changes, and carries out the instructions below in
/// the same transaction, so that cutover, retire and rollback are atomic.
/// </summary>
/// <param name="Migration">The migration as it is to be stored.</param>
/// <param name="ExpectedPhase">The phase the engine read under its gate: the compare-and-set's expected value.</param>
/// <param name="Note">Why, for the audit event.</param>
public sealed record MigrationUpdate(StoredMigration Migration, MigrationPhase ExpectedPhase, string Note)
{
    /// <summary>The collection's new definition, replaced in the same transaction; null leaves it as it is.</summary>
    public CollectionDefinition? Definition { get; init; }

    /// <summary>A space whose vectors are deleted with <see cref="Definition"/>; null when none.</summary>
    public string? RemovedSpace { get; init; }

    /// <summary>
    /// A refitted map promoted with this update (online refit): inserted in state active, retiring the active map of the
    /// same (from, to) pair, in the same transaction as the migration row that names it. Null when none.
    /// </summary>
    public StoredMap? PromotedMap { get; init; }

    /// <summary>
    /// With <see cref="PromotedMap"/>: the serving map id (the row's map_id) the refit read and replaces, a second
    /// compare-and-set value. Two nodes refitting at once compute the same next version; the one that finds the row
    /// naming another map by now is refused (the update returns false, nothing changes) instead of retiring the other's
    /// promotion. Ignored without a promoted map.
    /// </summary>
    public string? ExpectedMapId { get; init; }

    /// <summary>Deletes the migration's derived-item list (<see cref="IMigrationStore.ListDerivedItemsAsync"/>).</summary>
    public bool ClearDerivedItems { get; init; }

    /// <summary>
    /// With <see cref="ReplaceStatistics"/>: the statistics <c>fit</c> computed from its inline anchors (online refit starts
    /// from them), stored as version 0 with no reservoir; null stores none. Written regardless of the stored version: fit
    /// runs before any batch may add pairs.
    /// </summary>
    public MigrationStatisticsWrite? SeedStatistics { get; init; }

    /// <summary>Replaces the migration's stored statistics and reservoir by <see cref="SeedStatistics"/> (deleting them when it is null).</summary>
    public bool ReplaceStatistics { get; init; }

    /// <summary>
    /// The operator's evaluation queries (serialized by the engine, opaque to the store), kept with the migration so that
    /// online refit judges candidates on them after a restart too; null leaves the stored ones as they are.
    /// </summary>
    public byte[]? EvaluationQueries { get; init; }
}
