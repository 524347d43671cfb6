using System.Formats.Tar;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Backups;

/// <summary>
/// Reads snapshot archives (<see cref="SnapshotArchiveFormat"/>): the manifest alone (listing), a full verification
/// against the manifest's checksums (before any restore), and the rows for a restore. Every flaw raises
/// <see cref="CorruptSnapshotException"/> naming the entry.
/// </summary>
internal static class SnapshotArchiveReader
{
    /// <summary>The manifest, read from the archive's first entry.</summary>
    public static async Task<SnapshotManifest> ReadManifestAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = OpenRead(path);
        await using var tar = new TarReader(file);
        return await Guard(() => ReadManifestAsync(tar, cancellationToken));
    }

    /// <summary>Checks every entry's size and SHA-256 against the manifest, and the entries' names and order.</summary>
    public static async Task<SnapshotManifest> VerifyAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = OpenRead(path);
        await using var tar = new TarReader(file);
        return await Guard(async () =>
        {
            var manifest = await ReadManifestAsync(tar, cancellationToken);
            foreach (var expected in manifest.Entries)
            {
                var entry = await tar.GetNextEntryAsync(copyData: false, cancellationToken)
                    ?? throw new CorruptSnapshotException($"truncated: entry '{expected.Name}' is missing");
                if (entry.Name != expected.Name)
                {
                    throw new CorruptSnapshotException($"entry '{entry.Name}' found where the manifest lists '{expected.Name}'");
                }

                var (bytes, hash) = entry.DataStream is { } data ? await HashAsync(data, cancellationToken) : (0, Convert.ToHexStringLower(SHA256.HashData([])));
                if (bytes != expected.Bytes || hash != expected.Sha256)
                {
                    throw new CorruptSnapshotException(
                        $"entry '{expected.Name}' does not match its checksum ({bytes} bytes, SHA-256 {hash}; the manifest says {expected.Bytes} bytes, {expected.Sha256})");
                }
            }

            if (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } extra)
            {
                throw new CorruptSnapshotException($"entry '{extra.Name}' is not in the manifest");
            }

            return manifest;
        });
    }

    /// <summary>
    /// Opens a verified archive for a restore into <paramref name="target"/>: extracts its index files into
    /// <paramref name="work"/> and returns the rows, read from the archive as the store consumes them.
    /// </summary>
    public static async Task<ArchiveRestore> OpenAsync(string path, string target, string work, CancellationToken cancellationToken)
    {
        var file = OpenRead(path);
        var tar = new TarReader(file);
        try
        {
            return await Guard(async () =>
            {
                var manifest = await ReadManifestAsync(tar, cancellationToken);
                var collection = await ReadSmallAsync<CollectionRecord>(tar, SnapshotArchiveFormat.CollectionEntry, cancellationToken);
                var definition = CollectionDefinitionJson.Deserialize(target, collection.Definition, collection.CreatedAt, collection.UpdatedAt);
                var indexFiles = new Dictionary<int, string>();
                foreach (var entry in manifest.Entries.Where(e => e.Name.StartsWith(SnapshotArchiveFormat.IndexPrefix, StringComparison.Ordinal)))
                {
                    var shard = ShardOf(entry.Name);
                    var tarEntry = await NextAsync(tar, entry.Name, cancellationToken);
                    var extracted = Path.Combine(work, $"shard-{shard}{SnapshotArchiveFormat.IndexSuffix}");
                    await using (var output = new FileStream(extracted, FileMode.CreateNew, FileAccess.Write))
                    {
                        if (tarEntry.DataStream is { } data)
                        {
                            await data.CopyToAsync(output, cancellationToken);
                        }
                    }

                    indexFiles[shard] = extracted;
                }

                var rows = new ArchiveRows(tar, manifest, target);
                return new ArchiveRestore(manifest, definition, indexFiles, rows.Build(definition, collection.LastSequence), file, tar);
            });
        }
        catch
        {
            await tar.DisposeAsync();
            await file.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <paramref name="read"/>, turning the damage a broken archive causes into <see cref="CorruptSnapshotException"/>.</summary>
    public static async Task<T> Guard<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (CorruptSnapshotException.IsDamage(e))
        {
            throw new CorruptSnapshotException($"not a readable snapshot archive: {e.Message}", e);
        }
    }

    private static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 20, useAsync: true);

    private static async Task<SnapshotManifest> ReadManifestAsync(TarReader tar, CancellationToken cancellationToken)
    {
        var manifest = await ReadSmallAsync<SnapshotManifest>(tar, SnapshotArchiveFormat.ManifestEntry, cancellationToken);
        if (manifest.FormatVersion != SnapshotArchiveFormat.Version)
        {
            throw new CorruptSnapshotException($"format version {manifest.FormatVersion}; this build reads version {SnapshotArchiveFormat.Version}");
        }

        if (manifest.Entries is null || manifest.Counts is null || string.IsNullOrEmpty(manifest.Collection) || string.IsNullOrEmpty(manifest.ContentSha256))
        {
            throw new CorruptSnapshotException("the manifest lacks entries, counts, collection or contentSha256");
        }

        if (SnapshotArchiveFormat.ContentChecksum(manifest.Entries) != manifest.ContentSha256)
        {
            throw new CorruptSnapshotException("the manifest's entry list does not match its content checksum");
        }

        var names = manifest.Entries.Select(e => e.Name).ToList();
        var indexes = names.Skip(1).Take(names.Count - 1 - SnapshotArchiveFormat.RowEntries.Length).ToList();
        if (names.Count < 1 + SnapshotArchiveFormat.RowEntries.Length
            || names[0] != SnapshotArchiveFormat.CollectionEntry
            || !names.TakeLast(SnapshotArchiveFormat.RowEntries.Length).SequenceEqual(SnapshotArchiveFormat.RowEntries)
            || indexes.Any(n => ShardOfOrNull(n) is null)
            || indexes.Distinct(StringComparer.Ordinal).Count() != indexes.Count)
        {
            throw new CorruptSnapshotException($"the manifest's entries are not those of format version {SnapshotArchiveFormat.Version}: {string.Join(", ", names)}");
        }

        return manifest;
    }

    private static async Task<T> ReadSmallAsync<T>(TarReader tar, string name, CancellationToken cancellationToken)
    {
        var entry = await NextAsync(tar, name, cancellationToken);
        if (entry.Length > SnapshotArchiveFormat.MaxSmallEntryBytes || entry.DataStream is not { } data)
        {
            throw new CorruptSnapshotException($"entry '{name}' is empty or larger than {SnapshotArchiveFormat.MaxSmallEntryBytes} bytes");
        }

        return await JsonSerializer.DeserializeAsync<T>(data, SnapshotArchiveFormat.Json, cancellationToken)
            ?? throw new CorruptSnapshotException($"entry '{name}' is null");
    }

    internal static async Task<TarEntry> NextAsync(TarReader tar, string name, CancellationToken cancellationToken)
    {
        var entry = await tar.GetNextEntryAsync(copyData: false, cancellationToken)
            ?? throw new CorruptSnapshotException($"truncated: entry '{name}' is missing");
        return entry.Name == name ? entry : throw new CorruptSnapshotException($"entry '{entry.Name}' found where '{name}' belongs");
    }

    private static int ShardOf(string name) => ShardOfOrNull(name) ?? throw new CorruptSnapshotException($"'{name}' is not an index entry");

    private static int? ShardOfOrNull(string name) =>
        name.StartsWith(SnapshotArchiveFormat.IndexPrefix, StringComparison.Ordinal) && name.EndsWith(SnapshotArchiveFormat.IndexSuffix, StringComparison.Ordinal)
        && int.TryParse(name.AsSpan(SnapshotArchiveFormat.IndexPrefix.Length, name.Length - SnapshotArchiveFormat.IndexPrefix.Length - SnapshotArchiveFormat.IndexSuffix.Length),
            NumberStyles.None, CultureInfo.InvariantCulture, out var shard) && shard < ShardAssignment.MaxShards
            ? shard
            : null;

    private static async Task<(long Bytes, string Sha256)> HashAsync(Stream data, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await data.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        return (total, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>The row entries, read in archive order as the store's import enumerates them; counts checked at each end.</summary>
    private sealed class ArchiveRows(TarReader tar, SnapshotManifest manifest, string target)
    {
        public CollectionRows Build(CollectionDefinition definition, long lastSequence) => new(
            definition,
            lastSequence,
            Lines<ChangeRecord, ItemChange>(SnapshotArchiveFormat.ChangesEntry, manifest.Counts.Items + manifest.Counts.Tombstones, ToChange),
            Lines<RawInputRecord, StoredRawInput>(SnapshotArchiveFormat.RawInputsEntry, manifest.Counts.RawInputs,
                r => new StoredRawInput(r.Item, r.Space, new RawInput(Enum.IsDefined((RawInputKind)r.Kind) ? (RawInputKind)r.Kind : throw new CorruptSnapshotException($"raw input kind {r.Kind}"), r.Content))),
            Lines<StoredMap, StoredMap>(SnapshotArchiveFormat.MapsEntry, manifest.Counts.Maps, m => m with { Collection = target }),
            Lines<StoredMigration, StoredMigration>(SnapshotArchiveFormat.MigrationsEntry, manifest.Counts.Migrations, m => m with { Collection = target }),
            Lines<MigrationEvent, MigrationEvent>(SnapshotArchiveFormat.MigrationEventsEntry, manifest.Counts.MigrationEvents, e => e),
            Lines<MigrationDerivedItem, MigrationDerivedItem>(SnapshotArchiveFormat.DerivedItemsEntry, manifest.Counts.DerivedItems, d => d));

        private static ItemChange ToChange(ChangeRecord record)
        {
            if (record.Deleted)
            {
                return new ItemChange(record.Id, record.Seq, null);
            }

            var vectors = (record.Vectors ?? []).ToDictionary(v => v.Key, v => VectorBytes.Decode(v.Value), StringComparer.Ordinal);
            var payload = record.Payload ?? throw new CorruptSnapshotException($"item '{record.Id}' has no payload");
            return new ItemChange(record.Id, record.Seq, new StoredItem(record.Id, payload, vectors, record.Seq));
        }

        private async IAsyncEnumerable<TRow> Lines<TRecord, TRow>(
            string name, long expected, Func<TRecord, TRow> toRow, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var entry = await NextAsync(tar, name, cancellationToken);
            using var reader = new StreamReader(entry.DataStream ?? Stream.Null, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
            long count = 0;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                TRow row;
                try
                {
                    var record = JsonSerializer.Deserialize<TRecord>(line, SnapshotArchiveFormat.Json) ?? throw new CorruptSnapshotException("null line");
                    row = toRow(record);
                }
                catch (Exception e) when (CorruptSnapshotException.IsDamage(e) || e is CorruptSnapshotException)
                {
                    throw new CorruptSnapshotException($"entry '{name}' line {count + 1}: {e.Message}", e);
                }

                count++;
                yield return row;
            }

            if (count != expected)
            {
                throw new CorruptSnapshotException($"entry '{name}' holds {count} rows; the manifest says {expected}");
            }
        }
    }
}

/// <summary>An archive opened for a restore: its rows (to be read once, by the store's import) and its extracted index files.</summary>
internal sealed class ArchiveRestore(
    SnapshotManifest manifest, CollectionDefinition definition, IReadOnlyDictionary<int, string> indexFiles, CollectionRows rows, Stream file, TarReader tar)
    : IAsyncDisposable
{
    public SnapshotManifest Manifest => manifest;

    public CollectionDefinition Definition => definition;

    public IReadOnlyDictionary<int, string> IndexFiles => indexFiles;

    public CollectionRows Rows => rows;

    public async ValueTask DisposeAsync()
    {
        await tar.DisposeAsync();
        await file.DisposeAsync();
    }
}
