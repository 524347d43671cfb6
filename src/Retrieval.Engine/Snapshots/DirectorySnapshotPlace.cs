namespace Retrieval.Engine.Snapshots;

/// <summary>
/// Shard snapshots as files in a local directory: <c>{directory}/{collection}/shard-{n}.snapshot</c>, each replaced by
/// renaming a complete new file over it. Builds before shards wrote one <c>{directory}/{collection}.snapshot</c>, read as
/// shard 0 of a one-shard collection until that shard writes its own.
/// </summary>
internal sealed class DirectorySnapshotPlace : ISnapshotPlace
{
    private readonly string _directory;

    public DirectorySnapshotPlace(string directory)
    {
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
    }

    /// <summary>The folder of a collection's shard snapshots.</summary>
    public string FolderOf(string collection) => Path.Combine(_directory, collection);

    public string PathOf(string collection, int shard) => Path.Combine(FolderOf(collection), $"shard-{shard}.snapshot");

    /// <summary>Where builds before shards wrote a collection's one snapshot; read as shard 0 of a one-shard collection.</summary>
    public string LegacyPathOf(string collection) => Path.Combine(_directory, collection + ".snapshot");

    public long Write(string collection, int shard, long sequence, Func<string, long> write)
    {
        Directory.CreateDirectory(FolderOf(collection));
        var bytes = write(PathOf(collection, shard));
        // The shard's own file now supersedes the pre-shard one.
        File.Delete(LegacyPathOf(collection));
        return bytes;
    }

    public T? Read<T>(string collection, int shard, bool oneShard, Func<string, T> read)
        where T : class
    {
        var path = PathOf(collection, shard);
        if (!File.Exists(path) && oneShard && File.Exists(LegacyPathOf(collection)))
        {
            path = LegacyPathOf(collection);
        }

        return File.Exists(path) ? read(path) : null;
    }

    public bool CopyTo(string collection, int shard, string destination)
    {
        try
        {
            // The engine replaces a shard snapshot by renaming a new file over it: a copy reads one whole version.
            File.Copy(PathOf(collection, shard), destination);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    public bool Exists(string collection) => Directory.Exists(FolderOf(collection)) || File.Exists(LegacyPathOf(collection));

    public void Delete(string collection)
    {
        if (Directory.Exists(FolderOf(collection)))
        {
            Directory.Delete(FolderOf(collection), recursive: true);
        }

        File.Delete(LegacyPathOf(collection));
        File.Delete(LegacyPathOf(collection) + ".tmp");
    }

    public void Put(string collection, IReadOnlyDictionary<int, string> files)
    {
        if (files.Count == 0)
        {
            return;
        }

        Directory.CreateDirectory(FolderOf(collection));
        foreach (var (shard, path) in files)
        {
            File.Move(path, PathOf(collection, shard), overwrite: true);
        }
    }
}
