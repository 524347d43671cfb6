namespace Retrieval.Engine.Snapshots;

/// <summary>
/// Where shard snapshot files are kept: a local directory (<see cref="DirectorySnapshotPlace"/>, the default) or the store
/// of record (<see cref="StoreSnapshotPlace"/>, so that every node of a cluster loads what any node wrote). A place moves
/// whole files; <see cref="SnapshotStore"/> decides what they hold, checks them and falls back to the store's rows when one
/// cannot be used.
/// </summary>
internal interface ISnapshotPlace
{
    /// <summary>
    /// Keeps a new snapshot of (<paramref name="collection"/>, <paramref name="shard"/>) covering <paramref name="sequence"/>:
    /// <paramref name="write"/> writes the whole file at the local path it is given (returning its size); the place then
    /// replaces the shard's previous snapshot by it, so that a failure leaves the previous one as it was. Returns the size.
    /// </summary>
    long Write(string collection, int shard, long sequence, Func<string, long> write);

    /// <summary>
    /// Runs <paramref name="read"/> on a local file holding the shard's snapshot and returns what it returns; null when the
    /// shard has none. <paramref name="oneShard"/>: the collection has one shard, so a snapshot from before shards counts.
    /// </summary>
    T? Read<T>(string collection, int shard, bool oneShard, Func<string, T> read)
        where T : class;

    /// <summary>Copies the shard's snapshot to the local file <paramref name="destination"/>; false when there is none.</summary>
    bool CopyTo(string collection, int shard, string destination);

    /// <summary>True when any snapshot of the collection is kept.</summary>
    bool Exists(string collection);

    /// <summary>Deletes every snapshot of the collection.</summary>
    void Delete(string collection);

    /// <summary>Keeps each file of <paramref name="files"/> (shard → local file, consumed) as that shard's snapshot.</summary>
    void Put(string collection, IReadOnlyDictionary<int, string> files);
}
