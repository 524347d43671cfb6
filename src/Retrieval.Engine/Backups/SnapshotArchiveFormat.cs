using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Retrieval.Engine.Backups;

/// <summary>
/// A collection snapshot is one POSIX tar archive (pax headers), its entries in this order: <c>manifest.json</c>
/// (<see cref="SnapshotManifest"/>), <c>collection.json</c> (name, definition, times, last sequence), the engine's shard
/// snapshots as <c>index/shard-N.snapshot</c>, then the rows as JSON Lines: <c>changes.jsonl</c> (live items and
/// tombstones in sequence order; payloads as their JSON text, vectors as base64 little-endian float32),
/// <c>raw-inputs.jsonl</c>, <c>maps.jsonl</c>, <c>migrations.jsonl</c>, <c>migration-events.jsonl</c> and
/// <c>derived-items.jsonl</c>. The manifest lists every other entry with its size and SHA-256; the content checksum is
/// the SHA-256 of that list written as <c>sha256sum</c> lines (<c>&lt;hex&gt;  &lt;name&gt;\n</c>), so
/// <c>tar -x</c> and <c>sha256sum -c</c> check an archive by hand too.
/// </summary>
internal static class SnapshotArchiveFormat
{
    public const int Version = 1;
    public const string ManifestEntry = "manifest.json";
    public const string CollectionEntry = "collection.json";
    public const string IndexPrefix = "index/shard-";
    public const string IndexSuffix = ".snapshot";
    public const string ChangesEntry = "changes.jsonl";
    public const string RawInputsEntry = "raw-inputs.jsonl";
    public const string MapsEntry = "maps.jsonl";
    public const string MigrationsEntry = "migrations.jsonl";
    public const string MigrationEventsEntry = "migration-events.jsonl";
    public const string DerivedItemsEntry = "derived-items.jsonl";
    public const string ArchiveExtension = ".tar";

    /// <summary>The row entries, in archive order (the order <see cref="Core.Storage.CollectionRows"/> is read in).</summary>
    public static readonly string[] RowEntries = [ChangesEntry, RawInputsEntry, MapsEntry, MigrationsEntry, MigrationEventsEntry, DerivedItemsEntry];

    /// <summary>Largest manifest or collection entry read into memory.</summary>
    public const int MaxSmallEntryBytes = 16 * 1024 * 1024;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string IndexEntry(int shard) => $"{IndexPrefix}{shard}{IndexSuffix}";

    /// <summary>The content checksum over the manifest's entry list.</summary>
    public static string ContentChecksum(IEnumerable<ManifestEntry> entries)
    {
        var listing = new StringBuilder();
        foreach (var entry in entries)
        {
            listing.Append(entry.Sha256).Append("  ").Append(entry.Name).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(listing.ToString())));
    }
}

/// <summary>The first entry of a snapshot archive: what it holds and the checksums to verify it by.</summary>
internal sealed record SnapshotManifest(
    int FormatVersion,
    string Collection,
    long Sequence,
    string StoreKind,
    DateTimeOffset CreatedAt,
    SnapshotCounts Counts,
    IReadOnlyList<ManifestEntry> Entries,
    string ContentSha256);

/// <summary>One entry of the archive after the manifest: its name, size and SHA-256 (hex).</summary>
internal sealed record ManifestEntry(string Name, long Bytes, string Sha256);

/// <summary><c>collection.json</c>: the definition as the stores persist it (<see cref="Core.Storage.CollectionDefinitionJson"/>).</summary>
internal sealed record CollectionRecord(string Name, string Definition, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, long LastSequence);

/// <summary>A line of <c>changes.jsonl</c>: a live item (payload and vectors) or a tombstone (<see cref="Deleted"/>).</summary>
internal sealed record ChangeRecord(string Id, long Seq, bool Deleted, string? Payload, Dictionary<string, byte[]>? Vectors);

/// <summary>A line of <c>raw-inputs.jsonl</c>.</summary>
internal sealed record RawInputRecord(string Item, string Space, int Kind, byte[] Content);
