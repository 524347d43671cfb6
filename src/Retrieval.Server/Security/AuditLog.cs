namespace Retrieval.Server.Security;

/// <summary>
/// Audit events: every mutation and every refused call, as structured events (the JSON log format keeps each field).
/// They name keys by id only; secrets never reach a log.
/// </summary>
internal static partial class AuditLog
{
    /// <summary>A write or admin call ran; <paramref name="outcome"/> is <c>ok</c> or the status it failed with.</summary>
    [LoggerMessage(2410, LogLevel.Information,
        "Audit {Action} by {KeyId} from {RemoteAddress} on {Collection}: {Outcome}, {Count} item(s)")]
    public static partial void Mutation(ILogger logger, string action, string keyId, string? remoteAddress, string collection, string outcome, long count);

    /// <summary>A call was refused before it ran: no or bad key, missing scope, another collection, or a limit.</summary>
    [LoggerMessage(2411, LogLevel.Warning,
        "Audit refused {Action} by {KeyId} from {RemoteAddress} on {Collection}: {Outcome} ({Reason})")]
    public static partial void Refused(ILogger logger, string action, string keyId, string? remoteAddress, string collection, string outcome, string reason);
}
