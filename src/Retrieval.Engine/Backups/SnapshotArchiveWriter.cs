using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Backups;

/// <summary>
/// Writes a collection's rows and index files as a snapshot archive (<see cref="SnapshotArchiveFormat"/>). Each entry is
/// first written to a file in a work folder, since a tar header carries the entry's size and the manifest its checksum
/// before the data; then the archive is written manifest first and flushed to disk.
/// </summary>
internal static class SnapshotArchiveWriter
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    /// <summary>
    /// Reads <paramref name="rows"/> (once, in order) into entry files under <paramref name="work"/>, then writes the
    /// archive to <paramref name="destination"/> (which must not exist). <paramref name="indexFiles"/> are copies of the
    /// shard snapshots, already in <paramref name="work"/>.
    /// </summary>
    public static async Task<SnapshotManifest> WriteAsync(
        CollectionRows rows, string storeKind, IReadOnlyDictionary<int, string> indexFiles, string work, string destination, CancellationToken cancellationToken)
    {
        var definition = rows.Definition;
        var parts = new List<(string Entry, string Path)>();
        var collection = Path.Combine(work, SnapshotArchiveFormat.CollectionEntry);
        await File.WriteAllBytesAsync(
            collection,
            JsonSerializer.SerializeToUtf8Bytes(
                new CollectionRecord(definition.Name, CollectionDefinitionJson.Serialize(definition), definition.CreatedAt, definition.UpdatedAt, rows.LastSequence),
                SnapshotArchiveFormat.Json),
            cancellationToken);
        parts.Add((SnapshotArchiveFormat.CollectionEntry, collection));
        parts.AddRange(indexFiles.OrderBy(f => f.Key).Select(f => (SnapshotArchiveFormat.IndexEntry(f.Key), f.Value)));

        long items = 0, tombstones = 0;
        parts.Add(await WriteLinesAsync(work, SnapshotArchiveFormat.ChangesEntry, rows.Changes, change =>
        {
            if (change.Item is not { } item)
            {
                tombstones++;
                return new ChangeRecord(change.Id, change.Sequence, true, null, null);
            }

            items++;
            return new ChangeRecord(item.Id, item.Sequence, false, item.PayloadJson, item.Vectors.ToDictionary(v => v.Key, v => VectorBytes.Encode(v.Value), StringComparer.Ordinal));
        }, cancellationToken));
        long rawInputs = 0;
        parts.Add(await WriteLinesAsync(work, SnapshotArchiveFormat.RawInputsEntry, rows.RawInputs, input =>
        {
            rawInputs++;
            return new RawInputRecord(input.ItemId, input.Space, (int)input.Input.Kind, input.Input.Content);
        }, cancellationToken));
        int maps = 0, migrations = 0, events = 0;
        long derived = 0;
        parts.Add(await WriteLinesAsync(work, SnapshotArchiveFormat.MapsEntry, rows.Maps, map => { maps++; return map; }, cancellationToken));
        parts.Add(await WriteLinesAsync(work, SnapshotArchiveFormat.MigrationsEntry, rows.Migrations, m => { migrations++; return m; }, cancellationToken));
        parts.Add(await WriteLinesAsync(work, SnapshotArchiveFormat.MigrationEventsEntry, rows.MigrationEvents, e => { events++; return e; }, cancellationToken));
        parts.Add(await WriteLinesAsync(work, SnapshotArchiveFormat.DerivedItemsEntry, rows.DerivedItems, d => { derived++; return d; }, cancellationToken));

        var entries = new List<ManifestEntry>(parts.Count);
        foreach (var (entry, path) in parts)
        {
            await using var file = File.OpenRead(path);
            var hash = await SHA256.HashDataAsync(file, cancellationToken);
            entries.Add(new ManifestEntry(entry, file.Length, Convert.ToHexStringLower(hash)));
        }

        var manifest = new SnapshotManifest(
            SnapshotArchiveFormat.Version,
            definition.Name,
            rows.LastSequence,
            storeKind,
            DateTimeOffset.UtcNow,
            new SnapshotCounts(items, tombstones, rawInputs, maps, migrations, events, derived, indexFiles.Count),
            entries,
            SnapshotArchiveFormat.ContentChecksum(entries));
        await WriteTarAsync(manifest, parts, destination, cancellationToken);
        return manifest;
    }

    private static async Task<(string Entry, string Path)> WriteLinesAsync<TRow, TRecord>(
        string work, string entry, IAsyncEnumerable<TRow> rows, Func<TRow, TRecord> toRecord, CancellationToken cancellationToken)
    {
        var path = Path.Combine(work, entry);
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            await JsonSerializer.SerializeAsync(file, toRecord(row), SnapshotArchiveFormat.Json, cancellationToken);
            await file.WriteAsync(NewLine, cancellationToken);
        }

        return (entry, path);
    }

    private static async Task WriteTarAsync(SnapshotManifest manifest, List<(string Entry, string Path)> parts, string destination, CancellationToken cancellationToken)
    {
        var modified = manifest.CreatedAt;
        await using var archive = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
        await using (var tar = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            using var manifestData = new MemoryStream(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(manifest, SnapshotArchiveFormat.Json)));
            await tar.WriteEntryAsync(Entry(SnapshotArchiveFormat.ManifestEntry, manifestData, modified), cancellationToken);
            foreach (var (entry, path) in parts)
            {
                await using var data = File.OpenRead(path);
                await tar.WriteEntryAsync(Entry(entry, data, modified), cancellationToken);
            }
        }

        // Durable before the caller renames it into place: a crash leaves either no snapshot or a whole one.
        await archive.FlushAsync(cancellationToken);
        archive.Flush(flushToDisk: true);
    }

    private static PaxTarEntry Entry(string name, Stream data, DateTimeOffset modified) =>
        new(TarEntryType.RegularFile, name) { DataStream = data, ModificationTime = modified, Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead };
}
