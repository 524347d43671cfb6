using Microsoft.Extensions.Logging;

namespace Retrieval.Engine.Migrations;

/// <summary>Migration log messages with stable event ids (1100–1149).</summary>
internal static partial class MigrationLog
{
    [LoggerMessage(1100, LogLevel.Information, "Collection {Collection}: migration {MigrationId} {FromPhase} → {ToPhase} by {Actor}: {Note}")]
    public static partial void PhaseChanged(ILogger logger, string collection, string migrationId, string fromPhase, string toPhase, string actor, string note);

    [LoggerMessage(1101, LogLevel.Information, "Collection {Collection}: migration {MigrationId} planned from {FromSpace} to {ToSpace} by {Actor}")]
    public static partial void Planned(ILogger logger, string collection, string migrationId, string fromSpace, string toSpace, string actor);

    [LoggerMessage(1102, LogLevel.Information, "Collection {Collection}: migration {MigrationId} fitted on {Anchors} anchors; calibration native ≈ {Scale:F4}·mapped + {Offset:F4} (r = {Correlation:F3}, {Pairs} pairs)")]
    public static partial void Fitted(ILogger logger, string collection, string migrationId, int anchors, double scale, double offset, double correlation, int pairs);

    [LoggerMessage(1103, LogLevel.Information, "Collection {Collection}: migration {MigrationId} backfill: {Native}/{Total} items native, cursor {Cursor}")]
    public static partial void BackfillProgress(ILogger logger, string collection, string migrationId, long native, long total, string? cursor);

    [LoggerMessage(1104, LogLevel.Information, "Collection {Collection}: migration {MigrationId} loaded in phase {Phase} ({Derived} derived items)")]
    public static partial void Loaded(ILogger logger, string collection, string migrationId, string phase, int derived);

    [LoggerMessage(1105, LogLevel.Warning, "Collection {Collection}: encoder {Encoder} refused the stored input of item {ItemId} while re-encoding into space {Space}; the item is left for the client: {Reason}")]
    public static partial void InputRefused(ILogger logger, string collection, string encoder, string itemId, string space, string reason);

    [LoggerMessage(1106, LogLevel.Information, "Collection {Collection}: migration {MigrationId} refitted its map from {Pairs} pairs: promoted {Promoted}, serving version {Version}; held-out score {Candidate:F4} against {Serving:F4}")]
    public static partial void Refitted(ILogger logger, string collection, string migrationId, bool promoted, int version, long pairs, double candidate, double serving);

    [LoggerMessage(1107, LogLevel.Warning, "Collection {Collection}: migration {MigrationId}'s scheduled refit failed; the next backfill batch tries again")]
    public static partial void RefitFailed(ILogger logger, string collection, string migrationId, Exception error);
}
