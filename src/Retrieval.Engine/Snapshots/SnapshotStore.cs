using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Snapshots;

/// <summary>
/// One snapshot per shard, kept in a place (<see cref="ISnapshotPlace"/>): a folder per collection in the snapshot directory
/// (the default), or the store of record (<see cref="SnapshotLocation.Store"/>, for a cluster). Snapshots are derived state:
/// any that cannot be used is ignored (with a log line saying why) and that shard is rebuilt from the store.
/// </summary>
internal sealed class SnapshotStore
{
    private readonly ISnapshotPlace _place;
    private readonly IndexingOptions _options;
    private readonly ILogger _logger;

    // Per collection: shard writes share it, replacing or deleting the snapshots takes it alone. A write captured from a
    // collection that was deleted or replaced (restored) meanwhile must not land on its successor's snapshots.
    private readonly ConcurrentDictionary<string, ReaderWriterLockSlim> _folderLocks = new(StringComparer.Ordinal);

    /// <summary>Snapshots in <paramref name="directory"/>.</summary>
    public SnapshotStore(string directory, IndexingOptions options, ILogger logger)
        : this(new DirectorySnapshotPlace(directory), options, logger)
    {
    }

    /// <summary>Snapshots in <paramref name="place"/>.</summary>
    public SnapshotStore(ISnapshotPlace place, IndexingOptions options, ILogger logger)
    {
        _place = place;
        _options = options;
        _logger = logger;
    }

    /// <summary>True when any snapshot of the collection exists (its index spec may have been removed since).</summary>
    public bool Exists(string collection) => _place.Exists(collection);

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

                bytes = _place.Write(name, shard.Number, image.Sequence, path => SnapshotWriter.Write(image, path));
            }
            finally
            {
                folder.ExitReadLock();
            }

            shard.SnapshotSequence = image.Sequence;
            Log.SnapshotWritten(_logger, name, shard.Number, image.Sequence, bytes, started.ElapsedMilliseconds);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException or InvalidOperationException
            or DbException or StoreUnavailableException or Core.Errors.RetrievalException)
        {
            // An index disposed under the capture (its space was removed or re-specified), a full disk, or the store out of
            // reach (or the collection deleted there meanwhile): the next build writes a new one, and until then start-up
            // replays more of the store.
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
        var started = Stopwatch.StartNew();
        try
        {
            var state = _place.Read(
                definition.Name, shard, definition.Shards == 1, path => SnapshotReader.Read(path, definition, shard, storeLastSequence, _options));
            if (state is null)
            {
                Log.SnapshotNotUsed(_logger, definition.Name, shard, "missing");
                return null;
            }

            Log.SnapshotLoaded(_logger, definition.Name, shard, state.AppliedSequence, state.Items.Count, started.ElapsedMilliseconds);
            return state;
        }
        catch (Exception exception) when (exception is SnapshotUnusableException or EndOfStreamException or IOException or InvalidDataException
            or System.Text.Json.JsonException or Core.Errors.RetrievalException or Faiss.FaissException or USearch.UsearchException
            or ArgumentException or KeyNotFoundException or DbException or StoreUnavailableException)
        {
            Log.SnapshotNotUsed(_logger, definition.Name, shard, exception.Message);
            return null;
        }
    }

    /// <summary>
    /// Copies each shard's snapshot of <paramref name="definition"/> to the local file <paramref name="destination"/> names
    /// (to put into a collection snapshot); returns the shards copied. A shard without one is left out.
    /// </summary>
    public IReadOnlyDictionary<int, string> CopyTo(CollectionDefinition definition, Func<int, string> destination)
    {
        var copies = new Dictionary<int, string>();
        for (var shard = 0; shard < Math.Max(1, definition.Shards); shard++)
        {
            var path = destination(shard);
            if (_place.CopyTo(definition.Name, shard, path))
            {
                copies[shard] = path;
            }
        }

        return copies;
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
            _place.Delete(collection);
            foreach (var (shard, file) in files)
            {
                try
                {
                    _place.Put(collection, new Dictionary<int, string> { [shard] = file });
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or DbException or StoreUnavailableException
                    or Core.Errors.RetrievalException or SnapshotUnusableException)
                {
                    // Derived state: the shard is rebuilt from the rows the restore already committed.
                    Log.SnapshotWriteFailed(_logger, collection, shard, exception);
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
