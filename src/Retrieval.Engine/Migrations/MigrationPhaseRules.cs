using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// What each migration phase means for the rest of the engine, and what a phase change asks the store to do. This is the
/// one place these rules live: the stores persist the <see cref="MigrationUpdate"/> and <see cref="MigrationMarks"/> the
/// engine builds and decide nothing about phases themselves.
/// </summary>
internal static class MigrationPhaseRules
{
    /// <summary>
    /// A migration is open until it is retired or rolled back. The engine keeps at most one open migration per collection
    /// (checked under the collection's write gate when a migration is planned).
    /// </summary>
    public static bool IsOpen(MigrationPhase phase) => phase is not (MigrationPhase.Retired or MigrationPhase.RolledBack);

    /// <summary>
    /// From activation until retire (or rollback) every write must leave items with vectors in both spaces, so that
    /// cutover never finds an item without a new vector and rollback never finds one without an old vector.
    /// </summary>
    public static bool KeepsBothSpaces(MigrationPhase phase) =>
        phase is MigrationPhase.Active or MigrationPhase.Backfilling or MigrationPhase.Paused or MigrationPhase.CutOver;

    /// <summary>Phases whose new-space queries are answered by mixed search (native where backfilled, mapped elsewhere).</summary>
    public static bool SearchesMixed(MigrationPhase phase) =>
        phase is MigrationPhase.Active or MigrationPhase.Backfilling or MigrationPhase.Paused;

    /// <summary>
    /// The store instruction for one phase change, read under the collection's write gate: a compare-and-set on the phase
    /// the engine saw, with the definition change (when any) in the same transaction. A change that closes the migration
    /// also clears its derived-item list: a closed migration has nothing left to re-backfill.
    /// </summary>
    public static MigrationUpdate PhaseChange(
        StoredMigration updated, MigrationPhase expectedPhase, string note, CollectionDefinition? definition, string? removedSpace) =>
        new(updated, expectedPhase, note)
        {
            Definition = definition,
            RemovedSpace = removedSpace,
            ClearDerivedItems = !IsOpen(updated.Phase),
        };
}
