using Retrieval.Core.Storage;

namespace Retrieval.Engine.Snapshots;

/// <summary>
/// Shard snapshots in the store of record (<see cref="IShardSnapshotStore"/>), so that every node of a cluster loads the
/// snapshot any node wrote, with no shared volume. Files pass through a local staging folder (emptied at start: what a
/// crash left there is half-written) on their way in and out; the format and its checksum are the directory's.
/// </summary>
/// <remarks>
/// <see cref="SnapshotStore"/>'s API is synchronous (its callers are the optimizer's own thread, start-up loading and
/// shutdown), so the store's calls are waited for here, on a thread-pool thread without a synchronization context.
/// </remarks>
internal sealed class StoreSnapshotPlace : ISnapshotPlace
{
    private readonly IShardSnapshotStore _store;
    private readonly string _staging;

    public StoreSnapshotPlace(IShardSnapshotStore store, string stagingDirectory)
    {
        _store = store;
        _staging = Path.GetFullPath(stagingDirectory);
        if (Directory.Exists(_staging))
        {
            Directory.Delete(_staging, recursive: true);
        }

        Directory.CreateDirectory(_staging);
    }

    public long Write(string collection, int shard, long sequence, Func<string, long> write)
    {
        var path = StagingPath(collection, shard);
        try
        {
            var bytes = write(path);
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
            {
                Wait(_store.WriteShardSnapshotAsync(collection, shard, sequence, file, CancellationToken.None));
            }

            return bytes;
        }
        finally
        {
            File.Delete(path);
        }
    }

    public T? Read<T>(string collection, int shard, bool oneShard, Func<string, T> read)
        where T : class
    {
        var path = StagingPath(collection, shard);
        try
        {
            return Download(collection, shard, path) ? read(path) : null;
        }
        finally
        {
            File.Delete(path);
        }
    }

    public bool CopyTo(string collection, int shard, string destination)
    {
        if (Download(collection, shard, destination))
        {
            return true;
        }

        File.Delete(destination);
        return false;
    }

    public bool Exists(string collection) => Wait(_store.HasShardSnapshotsAsync(collection, CancellationToken.None));

    public void Delete(string collection) => Wait(_store.DeleteShardSnapshotsAsync(collection, CancellationToken.None));

    public void Put(string collection, IReadOnlyDictionary<int, string> files)
    {
        foreach (var (shard, path) in files)
        {
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
                Wait(_store.WriteShardSnapshotAsync(collection, shard, SnapshotReader.SequenceOf(file), file, CancellationToken.None));
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    private bool Download(string collection, int shard, string path)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        return Wait(_store.ReadShardSnapshotAsync(collection, shard, file, CancellationToken.None)) is not null;
    }

    // Unique per call: two nodes' worth of callers (a shutdown snapshot next to a build's) never share a staging file.
    private string StagingPath(string collection, int shard) => Path.Combine(_staging, $"{collection}.{shard}.{Guid.NewGuid():N}.staging");

    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private static void Wait(Task task) => task.GetAwaiter().GetResult();
}
