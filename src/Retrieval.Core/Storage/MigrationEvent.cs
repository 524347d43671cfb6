using Retrieval.Core.Migrations;

namespace Retrieval.Core.Storage;

/// <summary>One phase change of a migration: the audit trail (who, when, from what to what, and why).</summary>
public sealed record MigrationEvent(
    string MigrationId,
    DateTimeOffset At,
    MigrationPhase? FromPhase,
    MigrationPhase ToPhase,
    string Actor,
    string Note);
