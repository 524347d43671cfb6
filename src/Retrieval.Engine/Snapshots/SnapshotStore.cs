using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Model;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Snapshots;

/// <summary>
/// One snapshot file per shard, under a folder per collection in the snapshot directory. Snapshots are derived state:
/// any that cannot be used is ignored (with a log line saying why) and that shard is rebuilt from the store.
/// </summary>
internal sealed class SnapshotStore
{
    private readonly string _directory;
    private readonly IndexingOptions _options;
    private readonly ILogger _logger;

    // Per collection: shard writes share it, replacing or deleting the folder takes it alone. A write captured from a
    // collection that was deleted or replaced (restored) meanwhile must not land on its successor's files.
    private readonly ConcurrentDictionary<string, ReaderWriterLockSlim> _folderLocks = new(StringComparer.Ordinal);

    public SnapshotStore(string directory, IndexingOptions options, ILogger logger)
    {
        _directory = Path.GetFullPath(directory);
        _options = options;
        _logger = logger;
        Directory.CreateDirectory(_directory);
    }

    /// <summary>The folder of a collection's shard snapshots.</summary>
    public string FolderOf(string collection) => Path.Combine(_directory, collection);

    public string PathOf(string collection, int shard) => Path.Combine(FolderOf(collection), $"shard-{shard}.snapshot");

    /// <summary>Where builds before shards wrote a collection's one snapshot; read as shard 0 of a one-shard collection.</summary>
    public string LegacyPathOf(string collection) => Path.Combine(_directory, collection + ".snapshot");

    /// <summary>True when any snapshot of the collection exists (its index spec may have been removed since).</summary>
    public bool Exists(string collection) => Directory.Exists(FolderOf(collection)) || File.Exists(LegacyPathOf(collection));

    /// <summary>Captures one shard under the collection's read lock and writes it; a failure is logged, never thrown.</summary>
    public bool TryWrite(CollectionState collection, Shard shard)
    {
        var name = collection.Definition.Name;
        var started = Stopwatch.StartNew();
        try
        {
            var image = collection.Read(_ => ShardImage.Capture(shard));
            var folder = FolderLock(name);
            folder.EnterReadLock();
            long bytes;
            try
            {
                if (collection.IsDeleted)
                {
                    return false;
                }

                Directory.CreateDirectory(FolderOf(name));
                bytes = SnapshotWriter.Write(image, PathOf(name, shard.Number));
                // The shard's own file now supersedes the pre-shard one.
                File.Delete(LegacyPathOf(name));
            }
            finally
            {
                folder.ExitReadLock();
            }

            shard.SnapshotSequence = image.Sequence;
            Log.SnapshotWritten(_logger, name, shard.Number, image.Sequence, bytes, started.ElapsedMilliseconds);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException or InvalidOperationException)
        {
            // An index disposed under the capture (its space was removed or re-specified) or a full disk: the next
            // build writes a new one, and until then start-up replays more of the store.
            Log.SnapshotWriteFailed(_logger, name, shard.Number, exception);
            return false;
        }
    }

    /// <summary>
    /// Shard <paramref name="shard"/> loaded from its snapshot, or null (missing, stale or corrupt: logged) to rebuild it
    /// from the store.
    /// </summary>
    public Shard? TryLoad(CollectionDefinition definition, int shard, long storeLastSequence)
    {
        var path = PathOf(definition.Name, shard);
        if (!File.Exists(path) && definition.Shards == 1 && File.Exists(LegacyPathOf(definition.Name)))
        {
            path = LegacyPathOf(definition.Name);
        }

        if (!File.Exists(path))
        {
            Log.SnapshotNotUsed(_logger, definition.Name, shard, "missing");
            return null;
        }

        var started = Stopwatch.StartNew();
        try
        {
            var state = SnapshotReader.Read(path, definition, shard, storeLastSequence, _options);
            Log.SnapshotLoaded(_logger, definition.Name, shard, state.AppliedSequence, state.Items.Count, started.ElapsedMilliseconds);
            return state;
        }
        catch (Exception exception) when (exception is SnapshotUnusableException or EndOfStreamException or IOException or InvalidDataException
            or System.Text.Json.JsonException or Core.Errors.RetrievalException or Faiss.FaissException or USearch.UsearchException
            or ArgumentException or KeyNotFoundException)
        {
            Log.SnapshotNotUsed(_logger, definition.Name, shard, exception.Message);
            return null;
        }
    }

    /// <summary>Deletes a collection's snapshots. Mark the collection deleted first: its in-flight writes then stop.</summary>
    public void Delete(string collection) => Replace(collection, new Dictionary<int, string>());

    /// <summary>
    /// Replaces a collection's snapshots by <paramref name="files"/> (shard → file, moved into place), after deleting
    /// the old ones; used by a restore. Mark the replaced collection deleted first.
    /// </summary>
    public void Replace(string collection, IReadOnlyDictionary<int, string> files)
    {
        var folder = FolderLock(collection);
        folder.EnterWriteLock();
        try
        {
            if (Directory.Exists(FolderOf(collection)))
            {
                Directory.Delete(FolderOf(collection), recursive: true);
            }

            File.Delete(LegacyPathOf(collection));
            File.Delete(LegacyPathOf(collection) + ".tmp");
            if (files.Count > 0)
            {
                Directory.CreateDirectory(FolderOf(collection));
                foreach (var (shard, path) in files)
                {
                    File.Move(path, PathOf(collection, shard), overwrite: true);
                }
            }
        }
        finally
        {
            folder.ExitWriteLock();
        }
    }

    private ReaderWriterLockSlim FolderLock(string collection) => _folderLocks.GetOrAdd(collection, _ => new ReaderWriterLockSlim());
}
