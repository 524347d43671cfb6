using Microsoft.Extensions.Logging;

namespace Retrieval.Engine.Replication;

/// <summary>Log messages of a cluster node following the store (event ids 1400–1419).</summary>
internal static partial class FollowLog
{
    [LoggerMessage(1400, LogLevel.Information, "Following the store: listening for change notices {Listen}, polling every {PollMilliseconds} ms")]
    public static partial void Following(ILogger logger, bool listen, int pollMilliseconds);

    [LoggerMessage(1401, LogLevel.Warning, "The store's change notices stopped ({Reason}); listening again in {RetryMilliseconds} ms, the poll covers the gap")]
    public static partial void ListenLost(ILogger logger, string reason, int retryMilliseconds);

    [LoggerMessage(1402, LogLevel.Warning, "Following the store failed this round ({Reason}); tried again at the next poll")]
    public static partial void RoundFailed(ILogger logger, string reason);

    [LoggerMessage(1403, LogLevel.Information, "Collection {Collection} created on another node: loaded ({Items} items, sequence {Sequence})")]
    public static partial void Adopted(ILogger logger, string collection, long items, long sequence);

    [LoggerMessage(1404, LogLevel.Information, "Collection {Collection} deleted on another node: dropped")]
    public static partial void Forgotten(ILogger logger, string collection);

    [LoggerMessage(1405, LogLevel.Information, "Collection {Collection}: definition, maps and migration read again (definition version {Version})")]
    public static partial void CatalogReloaded(ILogger logger, string collection, long version);

    [LoggerMessage(1406, LogLevel.Information, "Aliases read again (catalog version {Version})")]
    public static partial void AliasesReloaded(ILogger logger, long version);
}
