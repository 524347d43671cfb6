using Microsoft.Extensions.Logging;
using Retrieval.Core.Maps;

namespace Retrieval.Engine;

/// <summary>Engine log messages with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Opening {StoreKind} store")]
    public static partial void OpeningStore(ILogger logger, string storeKind);

    [LoggerMessage(1001, LogLevel.Information, "Loading collection {Collection} ({Index}/{Total})")]
    public static partial void LoadingCollection(ILogger logger, string collection, int index, int total);

    [LoggerMessage(1002, LogLevel.Information, "Collection {Collection}: loaded {Items} items so far")]
    public static partial void LoadProgress(ILogger logger, string collection, long items);

    [LoggerMessage(1003, LogLevel.Information, "Collection {Collection} loaded: {Items} items up to sequence {Sequence} in {ElapsedMs} ms")]
    public static partial void CollectionLoaded(ILogger logger, string collection, int items, long sequence, long elapsedMs);

    [LoggerMessage(1004, LogLevel.Information, "Engine ready: {Collections} collections in {ElapsedMs} ms")]
    public static partial void EngineReady(ILogger logger, int collections, long elapsedMs);

    [LoggerMessage(1010, LogLevel.Information, "Created collection {Collection} with spaces {Spaces}")]
    public static partial void CollectionCreated(ILogger logger, string collection, string spaces);

    [LoggerMessage(1011, LogLevel.Information, "Deleted collection {Collection}")]
    public static partial void CollectionDeleted(ILogger logger, string collection);

    [LoggerMessage(1012, LogLevel.Information, "Collection {Collection}: added space {Space}")]
    public static partial void SpaceAdded(ILogger logger, string collection, string space);

    [LoggerMessage(1013, LogLevel.Information, "Collection {Collection}: removed space {Space}")]
    public static partial void SpaceRemoved(ILogger logger, string collection, string space);

    [LoggerMessage(1014, LogLevel.Information, "Collection {Collection}: default space is now {Space}")]
    public static partial void DefaultSpaceChanged(ILogger logger, string collection, string space);

    [LoggerMessage(1020, LogLevel.Information, "Collection {Collection}: fitted {Kind} map {MapId} from {FromSpace} to {ToSpace}, gate {Gate}")]
    public static partial void MapFitted(ILogger logger, string collection, string mapId, MapKind kind, string fromSpace, string toSpace, GateOutcome gate);

    [LoggerMessage(1021, LogLevel.Information, "Collection {Collection}: map {MapId} is now {State}")]
    public static partial void MapStateChanged(ILogger logger, string collection, string mapId, MapState state);
}
