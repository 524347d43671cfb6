using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;
using Retrieval.Engine.State;
using Retrieval.Engine.Writes;

namespace Retrieval.Engine.Backups;

/// <summary>
/// Collection snapshots: create (the store's rows at one sequence number, read while writers go on, plus the engine's
/// shard snapshots), list, open for download, delete, and restore (from a stored snapshot or an uploaded archive, into a
/// new collection or over the same one). Archives live in <c>{Directory}/{collection}/{name}.tar</c>; each is written
/// under a work folder beside them and renamed into place, so a failed write leaves the earlier snapshots as they were.
/// </summary>
internal sealed class CollectionBackups
{
    private const string WorkFolder = ".work";

    private readonly CollectionCatalog _catalog;
    private readonly IRetrievalStore _store;
    private readonly BackupOptions _options;
    private readonly Func<CollectionState, CancellationToken, Task> _attach;
    private readonly ILogger _logger;

    public CollectionBackups(
        CollectionCatalog catalog, IRetrievalStore store, BackupOptions options, Func<CollectionState, CancellationToken, Task> attach, ILogger logger)
    {
        _catalog = catalog;
        _store = store;
        _options = options;
        _attach = attach;
        _logger = logger;
    }

    private string Root => string.IsNullOrWhiteSpace(_options.Directory)
        ? throw RetrievalException.Precondition("collection snapshots are off: Retrieval:Backups:Directory is not set")
        : Path.GetFullPath(_options.Directory);

    /// <summary>
    /// Removes the work folders of snapshots and restores that a crash interrupted (at start-up, when none can be running).
    /// </summary>
    public void RemoveLeftovers()
    {
        if (string.IsNullOrWhiteSpace(_options.Directory) || !Directory.Exists(Path.Combine(Root, WorkFolder)))
        {
            return;
        }

        var leftovers = Directory.GetDirectories(Path.Combine(Root, WorkFolder));
        foreach (var folder in leftovers)
        {
            Directory.Delete(folder, recursive: true);
        }

        if (leftovers.Length > 0)
        {
            Log.SnapshotLeftoversRemoved(_logger, leftovers.Length);
        }
    }

    /// <summary>
    /// Snapshots a collection. The engine's shard snapshots are copied first: each covers a sequence no later than the
    /// store's at that moment, so no later than the rows read next, and a restore replays the rows after them.
    /// </summary>
    public async Task<CollectionSnapshotInfo> CreateAsync(string collection, string? name, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        var canonical = state.Definition.Name;
        if (!string.IsNullOrEmpty(name))
        {
            Names.ValidateName(name, FieldPath.Of("name"));
        }

        var started = Stopwatch.StartNew();
        var folder = Path.Combine(Root, canonical);
        Directory.CreateDirectory(folder);
        var work = CreateWorkFolder();
        try
        {
            var indexFiles = _catalog.CopyIndexFiles(state.Definition, shard => Path.Combine(work, $"index-{shard}{SnapshotArchiveFormat.IndexSuffix}"));
            var archive = Path.Combine(work, "archive" + SnapshotArchiveFormat.ArchiveExtension);
            string? chosen = null;
            var manifest = await _store.ExportCollectionAsync(
                canonical,
                (rows, ct) =>
                {
                    chosen = string.IsNullOrEmpty(name) ? DefaultName(rows.LastSequence) : name;
                    if (File.Exists(PathOf(folder, chosen)))
                    {
                        throw AlreadyExists(canonical, chosen);
                    }

                    return SnapshotArchiveWriter.WriteAsync(rows, _store.Kind, indexFiles, work, archive, ct);
                },
                cancellationToken);
            var final = PathOf(folder, chosen!);
            try
            {
                File.Move(archive, final, overwrite: false);
            }
            catch (IOException) when (File.Exists(final))
            {
                throw AlreadyExists(canonical, chosen!);
            }

            var size = new FileInfo(final).Length;
            Log.CollectionSnapshotWritten(_logger, canonical, chosen!, manifest.Sequence, manifest.Counts.Items, manifest.Counts.IndexFiles, size, started.ElapsedMilliseconds);
            return Describe(canonical, chosen!, manifest, size);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The snapshots kept for a collection name (or the collection an alias names), oldest first. The collection need
    /// not exist any more: its snapshots outlive it.
    /// </summary>
    public async Task<IReadOnlyList<CollectionSnapshotInfo>> ListAsync(string collection, CancellationToken cancellationToken)
    {
        var canonical = ResolveName(collection);
        var folder = Path.Combine(Root, canonical);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var snapshots = new List<CollectionSnapshotInfo>();
        foreach (var path in Directory.EnumerateFiles(folder, "*" + SnapshotArchiveFormat.ArchiveExtension))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            var size = new FileInfo(path).Length;
            try
            {
                snapshots.Add(Describe(canonical, name, await SnapshotArchiveReader.ReadManifestAsync(path, cancellationToken), size));
            }
            catch (CorruptSnapshotException e)
            {
                // Listed, not hidden: the operator sees it and can delete it.
                snapshots.Add(new CollectionSnapshotInfo(canonical, name, 0, File.GetLastWriteTimeUtc(path), "", size, "", 0, SnapshotCounts.None, e.Message));
            }
        }

        return snapshots.OrderBy(s => s.CreatedAt).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Opens a snapshot's archive for reading (download); NOT_FOUND when there is none of that name.</summary>
    public Stream Open(string collection, string name)
    {
        var path = ExistingPath(collection, name);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, useAsync: true);
    }

    /// <summary>Deletes a snapshot; NOT_FOUND when there is none of that name.</summary>
    public void Delete(string collection, string name)
    {
        var path = ExistingPath(collection, name);
        File.Delete(path);
        Log.CollectionSnapshotDeleted(_logger, ResolveName(collection), name);
    }

    /// <summary>
    /// Restores a stored snapshot into <paramref name="target"/> (default: the collection it was taken of). A corrupt
    /// archive is refused with FAILED_PRECONDITION before anything changes.
    /// </summary>
    public async Task<(CollectionState State, CollectionSnapshotInfo Snapshot)> RestoreAsync(
        string collection, string name, string? target, bool overwrite, CancellationToken cancellationToken)
    {
        var path = ExistingPath(collection, name);
        var canonical = ResolveName(collection);
        target = string.IsNullOrEmpty(target) ? canonical : target;
        Names.ValidateName(target, FieldPath.Of("target"));
        var size = new FileInfo(path).Length;
        var (state, manifest) = await RestoreFromAsync(
            path, target, overwrite, reason => RetrievalException.Precondition($"snapshot '{name}' of collection '{canonical}' is corrupt: {reason}"), cancellationToken);
        return (state, Describe(canonical, name, manifest, size));
    }

    /// <summary>
    /// Restores an uploaded archive (taken on this server or another) into <paramref name="target"/>. The upload is
    /// spooled to the work folder first (RESOURCE_EXHAUSTED past <see cref="BackupOptions.MaxUploadBytes"/>); a corrupt
    /// or truncated archive is refused with INVALID_ARGUMENT naming <c>archive</c>, before anything changes.
    /// </summary>
    public async Task<(CollectionState State, CollectionSnapshotInfo Snapshot)> RestoreUploadAsync(
        Stream upload, string target, bool overwrite, CancellationToken cancellationToken)
    {
        Names.ValidateName(target, FieldPath.Of("collection"));
        var work = CreateWorkFolder();
        try
        {
            var path = Path.Combine(work, "upload" + SnapshotArchiveFormat.ArchiveExtension);
            long size;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
            {
                await CopyBoundedAsync(upload, file, _options.MaxUploadBytes, cancellationToken);
                size = file.Length;
            }

            var (state, manifest) = await RestoreFromAsync(
                path, target, overwrite, reason => RetrievalException.Invalid(FieldPath.Of("archive"), $"not a whole snapshot archive: {reason}"), cancellationToken);
            return (state, Describe(manifest.Collection, "", manifest, size));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private async Task<(CollectionState State, SnapshotManifest Manifest)> RestoreFromAsync(
        string path, string target, bool overwrite, Func<string, RetrievalException> corrupt, CancellationToken cancellationToken)
    {
        var work = CreateWorkFolder();
        try
        {
            await SnapshotArchiveReader.VerifyAsync(path, cancellationToken);
            await using var restore = await SnapshotArchiveReader.OpenAsync(path, target, work, cancellationToken);
            ValidateDefinition(restore.Definition);
            var state = await _catalog.RestoreAsync(
                restore.Definition,
                overwrite,
                (replace, ct) => _store.ImportCollectionAsync(
                    restore.Rows with { Changes = ShardStamping.Stamp(restore.Rows.Changes, restore.Definition.Shards, ct) }, replace, ct),
                restore.IndexFiles,
                _attach,
                cancellationToken);
            return (state, restore.Manifest);
        }
        catch (CorruptSnapshotException e)
        {
            Log.CorruptSnapshotRefused(_logger, target, e.Message);
            throw corrupt(e.Message);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    // The archive's checksums prove it is whole, not that its writer was this server: its definition must make sense.
    private static void ValidateDefinition(CollectionDefinition definition)
    {
        if (definition.Spaces is not { Count: > 0 } spaces
            || !spaces.Any(s => s.Name == definition.DefaultSpace)
            || spaces.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count() != spaces.Count
            || spaces.Any(s => !Names.IsValidName(s.Name))
            || definition.Shards is < 1 or > ShardAssignment.MaxShards)
        {
            throw new CorruptSnapshotException("collection.json: the definition has no spaces, duplicate or invalid space names, an unknown default space or a shard count outside 1…64");
        }
    }

    private static async Task CopyBoundedAsync(Stream source, Stream destination, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > limit)
            {
                throw RetrievalException.Exhausted($"the archive exceeds {limit} bytes (Retrieval:Backups:MaxUploadBytes)");
            }

            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private string CreateWorkFolder()
    {
        var work = Path.Combine(Root, WorkFolder, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        return work;
    }

    private string ResolveName(string collection)
    {
        var canonical = _catalog.CanonicalName(collection);
        Names.ValidateName(canonical, FieldPath.Of("collection"));
        return canonical;
    }

    private string ExistingPath(string collection, string name)
    {
        var canonical = ResolveName(collection);
        Names.ValidateName(name, FieldPath.Of("name"));
        var path = PathOf(Path.Combine(Root, canonical), name);
        return File.Exists(path) ? path : throw RetrievalException.NotFound($"snapshot '{name}' of collection '{canonical}' not found");
    }

    private static string PathOf(string folder, string name) => Path.Combine(folder, name + SnapshotArchiveFormat.ArchiveExtension);

    // Sortable, unique enough for one collection (a clash is refused with ALREADY_EXISTS), and a valid name.
    private static string DefaultName(long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss-fff}-{sequence}");

    private static RetrievalException AlreadyExists(string collection, string name) =>
        RetrievalException.AlreadyExists($"snapshot '{name}' of collection '{collection}' already exists");

    private static CollectionSnapshotInfo Describe(string collection, string name, SnapshotManifest manifest, long size) =>
        new(collection, name, manifest.Sequence, manifest.CreatedAt, manifest.StoreKind, size, manifest.ContentSha256, manifest.FormatVersion, manifest.Counts);
}
