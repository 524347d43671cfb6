namespace Retrieval.Engine.Snapshots;

/// <summary>
/// The snapshot file of one shard, little-endian: magic <c>RTRVSNAP</c>, format version, the covered store sequence,
/// since version 3 the shard's number and the collection's shard count, the collection's creation time (µs since the epoch: a re-created collection is a different one), its definition
/// JSON, the items (id, payload JSON), then per space its appendable rows and its sealed segments (rows, item
/// numbers, tombstone bitset, the spec it was built for and the index in its engine's own format); since version 2
/// then per multi-vector space its FDE segments in the same layout and per item its kept token vectors (item
/// number, tokens received, kept row count, the rows; since version 4 in the space's token precision, followed by the
/// length-prefixed trained state of the space's PQ codebooks and of its token index, each 0 when it has none). The body is
/// followed by its SHA-256 and the magic <c>RTRVDONE</c>. Written to a temporary file, fsynced, then renamed.
/// </summary>
internal static class SnapshotFormat
{
    public const int Version = 4;

    /// <summary>
    /// The first sharded format: multi-vector tokens always float32. Version 4 writes each item's kept tokens in its
    /// space's token precision (byte for byte the same for float32 spaces), so version 3 is still read; an older build
    /// refuses version 4 rather than read float16 or int8 rows as float32.
    /// </summary>
    public const int ShardedFloatTokensVersion = 3;

    /// <summary>
    /// The format before shards (one file per collection, at <see cref="DirectorySnapshotPlace.LegacyPathOf"/>): still read as
    /// the only shard of a one-shard collection, so an upgrade keeps its built indexes.
    /// </summary>
    public const int UnshardedVersion = 2;

    /// <summary>The first format, without multi-vector spaces: still read for one-shard collections that have none.</summary>
    public const int DenseOnlyVersion = 1;
    public const int HashBytes = 32;
    public static ReadOnlySpan<byte> Magic => "RTRVSNAP"u8;
    public static ReadOnlySpan<byte> EndMagic => "RTRVDONE"u8;

    public static long Microseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
}
