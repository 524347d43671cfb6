using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Model;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Snapshots;

/// <summary>
/// One snapshot file per collection under the snapshot directory. Snapshots are derived state: any that cannot be
/// used is ignored (with a log line saying why) and the collection is rebuilt from the store.
/// </summary>
internal sealed class SnapshotStore
{
    private readonly string _directory;
    private readonly IndexingOptions _options;
    private readonly ILogger _logger;

    public SnapshotStore(string directory, IndexingOptions options, ILogger logger)
    {
        _directory = Path.GetFullPath(directory);
        _options = options;
        _logger = logger;
        Directory.CreateDirectory(_directory);
    }

    public string PathOf(string collection) => Path.Combine(_directory, collection + ".snapshot");

    /// <summary>Captures the collection under its read lock and writes it; a failure is logged, never thrown.</summary>
    public bool TryWrite(CollectionState state)
    {
        var name = state.Definition.Name;
        var started = Stopwatch.StartNew();
        try
        {
            var image = Locked.Read(state, CollectionImage.Capture);
            var bytes = SnapshotWriter.Write(image, PathOf(name));
            state.SnapshotSequence = image.Sequence;
            Log.SnapshotWritten(_logger, name, image.Sequence, bytes, started.ElapsedMilliseconds);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException or InvalidOperationException)
        {
            // An index disposed under the capture (its space was removed or re-specified) or a full disk: the next
            // build writes a new one, and until then start-up replays more of the store.
            Log.SnapshotWriteFailed(_logger, name, exception);
            return false;
        }
    }

    /// <summary>The collection loaded from its snapshot, or null (missing, stale or corrupt: logged) to rebuild from the store.</summary>
    public CollectionState? TryLoad(CollectionDefinition definition, long storeLastSequence)
    {
        var path = PathOf(definition.Name);
        if (!File.Exists(path))
        {
            Log.SnapshotNotUsed(_logger, definition.Name, "missing");
            return null;
        }

        var started = Stopwatch.StartNew();
        try
        {
            var state = SnapshotReader.Read(path, definition, storeLastSequence, _options);
            Log.SnapshotLoaded(_logger, definition.Name, state.AppliedSequence, state.Items.Count, started.ElapsedMilliseconds);
            return state;
        }
        catch (Exception exception) when (exception is SnapshotUnusableException or EndOfStreamException or IOException or InvalidDataException
            or System.Text.Json.JsonException or Core.Errors.RetrievalException or Faiss.FaissException or USearch.UsearchException
            or ArgumentException or KeyNotFoundException)
        {
            Log.SnapshotNotUsed(_logger, definition.Name, exception.Message);
            return null;
        }
    }

    public void Delete(string collection)
    {
        File.Delete(PathOf(collection));
        File.Delete(PathOf(collection) + ".tmp");
    }
}
