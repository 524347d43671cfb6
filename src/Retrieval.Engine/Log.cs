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

    [LoggerMessage(1015, LogLevel.Information, "Aliases changed: {Removed} removed, set {Set}")]
    public static partial void AliasesChanged(ILogger logger, int removed, string set);

    [LoggerMessage(1012, LogLevel.Information, "Collection {Collection}: added space {Space}")]
    public static partial void SpaceAdded(ILogger logger, string collection, string space);

    [LoggerMessage(1013, LogLevel.Information, "Collection {Collection}: removed space {Space}")]
    public static partial void SpaceRemoved(ILogger logger, string collection, string space);

    [LoggerMessage(1014, LogLevel.Information, "Collection {Collection}: default space is now {Space}")]
    public static partial void DefaultSpaceChanged(ILogger logger, string collection, string space);

    [LoggerMessage(1020, LogLevel.Information, "Collection {Collection}: fitted {Kind} map {MapId} from {FromSpace} to {ToSpace}, gate {Gate}")]
    public static partial void MapFitted(ILogger logger, string collection, string mapId, MapKind kind, string fromSpace, string toSpace, GateOutcome gate);

    [LoggerMessage(1022, LogLevel.Information, "Collection {Collection}: automatic map choice for {MapId}: {Reason}")]
    public static partial void MapKindChosen(ILogger logger, string collection, string mapId, string reason);

    [LoggerMessage(1021, LogLevel.Information, "Collection {Collection}: map {MapId} is now {State}")]
    public static partial void MapStateChanged(ILogger logger, string collection, string mapId, MapState state);

    [LoggerMessage(1100, LogLevel.Information, "Collection {Collection} shard {Shard} space {Space}: sealed segment {Segment} with {Vectors} vectors")]
    public static partial void SegmentSealed(ILogger logger, string collection, int shard, string space, long segment, int vectors);

    [LoggerMessage(1101, LogLevel.Information, "Collection {Collection} shard {Shard} space {Space}: building {Spec} over {Vectors} vectors from segments {Segments} ({Reason})")]
    public static partial void BuildStarted(ILogger logger, string collection, int shard, string space, string spec, string segments, int vectors, string reason);

    [LoggerMessage(1102, LogLevel.Information, "Collection {Collection} shard {Shard} space {Space}: built {Spec} over {Vectors} vectors in {ElapsedMs} ms")]
    public static partial void BuildFinished(ILogger logger, string collection, int shard, string space, string spec, int vectors, long elapsedMs);

    [LoggerMessage(1103, LogLevel.Warning, "Collection {Collection} shard {Shard} space {Space}: building {Spec} failed; the segments stay searched exactly until the spec changes")]
    public static partial void BuildFailed(ILogger logger, string collection, int shard, string space, string spec, Exception exception);

    [LoggerMessage(1104, LogLevel.Error, "Segment optimizer job failed; it will be planned again")]
    public static partial void OptimizerFailed(ILogger logger, Exception exception);

    [LoggerMessage(1110, LogLevel.Information, "Collection {Collection} shard {Shard}: snapshot written at sequence {Sequence} ({Bytes} bytes in {ElapsedMs} ms)")]
    public static partial void SnapshotWritten(ILogger logger, string collection, int shard, long sequence, long bytes, long elapsedMs);

    [LoggerMessage(1111, LogLevel.Warning, "Collection {Collection} shard {Shard}: snapshot not written")]
    public static partial void SnapshotWriteFailed(ILogger logger, string collection, int shard, Exception exception);

    [LoggerMessage(1112, LogLevel.Information, "Collection {Collection} shard {Shard}: snapshot loaded at sequence {Sequence} with {Items} items in {ElapsedMs} ms; replaying later changes from the store")]
    public static partial void SnapshotLoaded(ILogger logger, string collection, int shard, long sequence, int items, long elapsedMs);

    [LoggerMessage(1113, LogLevel.Warning, "Collection {Collection} shard {Shard}: snapshot not used ({Reason}); rebuilding it from the store")]
    public static partial void SnapshotNotUsed(ILogger logger, string collection, int shard, string reason);

    [LoggerMessage(1114, LogLevel.Information, "Writing snapshots of {Count} shards changed since their last snapshot (shutdown)")]
    public static partial void SnapshotsAtShutdown(ILogger logger, int count);

    [LoggerMessage(1120, LogLevel.Information, "Collection {Collection} space {Space}: index spec is now {Spec}")]
    public static partial void IndexSpecChanged(ILogger logger, string collection, string space, string spec);

    [LoggerMessage(1170, LogLevel.Information, "Collection {Collection} space {Space}: SimHash center learned from the first write (up to {Tokens} tokens) and pinned")]
    public static partial void CenterLearned(ILogger logger, string collection, string space, int tokens);

    [LoggerMessage(1190, LogLevel.Warning, "Collection {Collection}: the store lost its connection while committing the batch that would be sequence {Sequence}; whether it committed is settled before the next write")]
    public static partial void CommitOutcomeUnknown(ILogger logger, string collection, long sequence);

    [LoggerMessage(1196, LogLevel.Information, "Collection {Collection}: migration {Migration}'s anchor statistics were replaced by another node while this batch was prepared (attempt {Attempt}); read again and retried")]
    public static partial void StatisticsConflict(ILogger logger, string collection, string migration, int attempt);

    [LoggerMessage(1191, LogLevel.Warning, "Collection {Collection}: the batch of unknown outcome at sequence {Sequence} {Outcome}")]
    public static partial void UncertainCommitSettled(ILogger logger, string collection, long sequence, string outcome);

    [LoggerMessage(1192, LogLevel.Warning, "Collection {Collection}: the store moved from sequence {From} to {To} during a commit of unknown outcome; caught up from its change feed")]
    public static partial void UncertainCommitCaughtUp(ILogger logger, string collection, long from, long to);
}
