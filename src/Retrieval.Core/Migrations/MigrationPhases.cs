namespace Retrieval.Core.Migrations;

/// <summary>
/// Facts about phases that every layer shares: their wire and log names. What a phase allows is the engine's rule
/// (<c>Retrieval.Engine.Migrations.MigrationPhaseRules</c>).
/// </summary>
public static class MigrationPhases
{
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
