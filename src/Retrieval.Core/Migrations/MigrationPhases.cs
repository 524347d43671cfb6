namespace Retrieval.Core.Migrations;

/// <summary>Facts about phases shared by the engine and both stores.</summary>
public static class MigrationPhases
{
    /// <summary>A migration is open until it is retired or rolled back; at most one is open per (collection, from space).</summary>
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

    /// <summary>The wire and log name: lower case with underscores (<c>cut_over</c>).</summary>
    public static string Name(MigrationPhase phase) => phase switch
    {
        MigrationPhase.Planned => "planned",
        MigrationPhase.Fitted => "fitted",
        MigrationPhase.Evaluated => "evaluated",
        MigrationPhase.Active => "active",
        MigrationPhase.Backfilling => "backfilling",
        MigrationPhase.Paused => "paused",
        MigrationPhase.CutOver => "cut_over",
        MigrationPhase.Retired => "retired",
        MigrationPhase.RolledBack => "rolled_back",
        _ => phase.ToString(),
    };
}
