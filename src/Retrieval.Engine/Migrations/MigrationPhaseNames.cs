using Retrieval.Core.Migrations;

namespace Retrieval.Engine.Migrations;

/// <summary>Phase names for messages ("phase backfilling").</summary>
internal static class MigrationPhaseNames
{
    public static string Of(MigrationPhase phase) => "phase " + MigrationPhases.Name(phase);
}
