using Retrieval.Engine.State;

namespace Retrieval.Engine;

/// <summary>The index state of one space: in total over its shards, and per shard in <see cref="Shards"/>.</summary>
/// <param name="Spec">The configured index (canonical spelling); null when the space is searched exactly.</param>
/// <param name="AppendableVectors">Vectors in the appendable (exact, unindexed) segments.</param>
/// <param name="IndexedVectors">Live vectors in sealed segments whose index matches the spec.</param>
/// <param name="TotalVectors">Live vectors in the space.</param>
/// <param name="Segments">The sealed segments (of every shard; <see cref="SegmentStatus.Shard"/> says whose).</param>
/// <param name="Build">A build running now, if any (the first shard's that has one).</param>
public sealed record SpaceIndexStatus(
    string? Spec,
    long AppendableVectors,
    long IndexedVectors,
    long TotalVectors,
    IReadOnlyList<SegmentStatus> Segments,
    BuildStatus? Build)
{
    /// <summary>The same figures for each shard, by shard number; one entry for a one-shard collection.</summary>
    public IReadOnlyList<SpaceIndexStatus> Shards { get; init; } = [];

    /// <summary>Every build running now, one per shard at most.</summary>
    public IReadOnlyList<BuildStatus> Builds { get; init; } = [];

    internal static SpaceIndexStatus Of(IReadOnlyList<SpaceIndex> shards)
    {
        var perShard = shards.Select((space, number) => Of(space, number)).ToList();
        var builds = perShard.Where(s => s.Build is not null).Select(s => s.Build!).ToList();
        return new SpaceIndexStatus(
            perShard[0].Spec,
            perShard.Sum(s => s.AppendableVectors),
            perShard.Sum(s => s.IndexedVectors),
            perShard.Sum(s => s.TotalVectors),
            [.. perShard.SelectMany(s => s.Segments)],
            builds.FirstOrDefault())
        {
            Shards = perShard,
            Builds = builds,
        };
    }

    private static SpaceIndexStatus Of(SpaceIndex space, int shard)
    {
        var segments = space.Sealed.Select(s => new SegmentStatus(
            s.Id,
            s.Count,
            s.LiveCount,
            s.Index is not null && s.BuiltFor == space.Spec && space.Spec is not null,
            s.Index?.Spec.ToString(),
            s.BuildError)
        {
            Shard = shard,
        }).ToList();
        var build = space.CurrentBuild is { } b ? new BuildStatus(b.SourceSegments, b.Spec, b.Done, b.Total, b.StartedAt) : null;
        return new SpaceIndexStatus(
            space.Spec?.ToString(),
            space.Appendable.Count,
            segments.Where(s => s.Indexed).Sum(s => (long)s.LiveVectors),
            space.Count,
            segments,
            build);
    }
}

/// <param name="Id">Segment id, unique within its shard's space.</param>
/// <param name="Vectors">Rows, tombstoned ones included.</param>
/// <param name="LiveVectors">Rows not tombstoned.</param>
/// <param name="Indexed">True when searched through an index built for the current spec.</param>
/// <param name="IndexSpec">The index it carries (IVF's nlist may be capped for small segments); null when none.</param>
/// <param name="Error">Why its last build failed; null when none did.</param>
public sealed record SegmentStatus(long Id, int Vectors, int LiveVectors, bool Indexed, string? IndexSpec, string? Error)
{
    /// <summary>The shard that owns the segment (segment ids are unique within a shard's space).</summary>
    public int Shard { get; init; }
}

/// <param name="SourceSegments">The segments the build replaces.</param>
/// <param name="Spec">The spec being built.</param>
/// <param name="Done">Vectors added so far.</param>
/// <param name="Total">Vectors to add.</param>
/// <param name="StartedAt">When it started.</param>
public sealed record BuildStatus(IReadOnlyList<long> SourceSegments, string Spec, long Done, long Total, DateTimeOffset StartedAt);
