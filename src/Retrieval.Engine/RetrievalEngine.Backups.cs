using Retrieval.Engine.Backups;

namespace Retrieval.Engine;

/// <summary>Collection snapshots: backup and restore of one collection (see <see cref="CollectionBackups"/>).</summary>
public sealed partial class RetrievalEngine
{
    /// <summary>
    /// Snapshots a collection (or the collection an alias names) into one archive: its definition, items, payloads,
    /// vectors, raw inputs, maps, migrations and shard index files, all at one sequence number, while writes go on.
    /// <paramref name="name"/> is optional (<c>[a-z0-9_-]{1,64}</c>; default: the time and sequence).
    /// </summary>
    public Task<CollectionSnapshotInfo> CreateSnapshotAsync(string collection, string? name, CancellationToken cancellationToken) =>
        _backups.CreateAsync(collection, name, cancellationToken);

    /// <summary>The snapshots kept for a collection name, oldest first (also after the collection was deleted).</summary>
    public Task<IReadOnlyList<CollectionSnapshotInfo>> ListSnapshotsAsync(string collection, CancellationToken cancellationToken) =>
        _backups.ListAsync(collection, cancellationToken);

    /// <summary>Opens a snapshot's archive to stream it to a client; the caller disposes the stream.</summary>
    public Stream OpenSnapshot(string collection, string name) => _backups.Open(collection, name);

    public void DeleteSnapshot(string collection, string name) => _backups.Delete(collection, name);

    /// <summary>
    /// Restores a stored snapshot into <paramref name="target"/> (default: the collection it was taken of), after checking
    /// its checksums. An existing target is replaced only with <paramref name="overwrite"/>, and not while a migration is
    /// open on it.
    /// </summary>
    public async Task<(CollectionInfo Collection, CollectionSnapshotInfo Snapshot)> RestoreSnapshotAsync(
        string collection, string name, string? target, bool overwrite, CancellationToken cancellationToken)
    {
        var (state, snapshot) = await _backups.RestoreAsync(collection, name, target, overwrite, cancellationToken);
        return (GetCollection(state.Definition.Name), snapshot);
    }

    /// <summary>Restores an uploaded archive (from this server or another, of either store kind) into <paramref name="target"/>.</summary>
    public async Task<(CollectionInfo Collection, CollectionSnapshotInfo Snapshot)> RestoreSnapshotAsync(
        Stream archive, string target, bool overwrite, CancellationToken cancellationToken)
    {
        var (state, snapshot) = await _backups.RestoreUploadAsync(archive, target, overwrite, cancellationToken);
        return (GetCollection(state.Definition.Name), snapshot);
    }
}
