namespace Retrieval.Engine.Backups;

/// <summary>
/// One collection snapshot as its manifest describes it. <see cref="Problem"/> is set, and the figures are zero, when
/// the archive's manifest cannot be read (the file is listed so that it can be deleted, not hidden).
/// </summary>
/// <param name="Collection">The collection the snapshot was taken of (its folder).</param>
/// <param name="Name">The snapshot's name, unique per collection.</param>
/// <param name="Sequence">The collection's sequence number the snapshot holds exactly.</param>
/// <param name="CreatedAt">When the snapshot was taken.</param>
/// <param name="StoreKind">The store it was taken from ("sqlite" or "postgres").</param>
/// <param name="SizeBytes">The archive's size.</param>
/// <param name="ContentSha256">The checksum of the content (hex), verified before a restore.</param>
/// <param name="FormatVersion">The archive format version.</param>
/// <param name="Counts">What it holds.</param>
/// <param name="Problem">Why the manifest cannot be read; null when it can.</param>
public sealed record CollectionSnapshotInfo(
    string Collection,
    string Name,
    long Sequence,
    DateTimeOffset CreatedAt,
    string StoreKind,
    long SizeBytes,
    string ContentSha256,
    int FormatVersion,
    SnapshotCounts Counts,
    string? Problem = null);

/// <summary>How many rows of each kind, and how many index files, a snapshot holds.</summary>
public sealed record SnapshotCounts(
    long Items, long Tombstones, long RawInputs, int Maps, int Migrations, int MigrationEvents, long DerivedItems, int IndexFiles)
{
    public static SnapshotCounts None { get; } = new(0, 0, 0, 0, 0, 0, 0, 0);
}
