using Microsoft.Extensions.Logging;

namespace Retrieval.Engine;

/// <summary>Collection snapshot (backup and restore) log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(1200, LogLevel.Information, "Collection {Collection}: snapshot {Name} written at sequence {Sequence} ({Items} items, {IndexFiles} index files, {Bytes} bytes) in {ElapsedMs} ms")]
    public static partial void CollectionSnapshotWritten(ILogger logger, string collection, string name, long sequence, long items, int indexFiles, long bytes, long elapsedMs);

    [LoggerMessage(1201, LogLevel.Information, "Collection {Collection}: snapshot {Name} deleted")]
    public static partial void CollectionSnapshotDeleted(ILogger logger, string collection, string name);

    [LoggerMessage(1202, LogLevel.Information, "Collection {Collection} restored (replaced: {Replaced}): {Items} items up to sequence {Sequence}")]
    public static partial void CollectionRestored(ILogger logger, string collection, bool replaced, int items, long sequence);

    [LoggerMessage(1203, LogLevel.Warning, "Collection {Collection}: restore refused, the snapshot archive is corrupt: {Reason}")]
    public static partial void CorruptSnapshotRefused(ILogger logger, string collection, string reason);

    [LoggerMessage(1205, LogLevel.Warning, "Removed {Count} work folders of collection snapshots or restores that a crash interrupted")]
    public static partial void SnapshotLeftoversRemoved(ILogger logger, int count);
}
