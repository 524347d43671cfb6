using Retrieval.Engine.Indexes;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Segments;

/// <summary>
/// Chooses the next job for a space, most urgent first: seal a full appendable segment; merge sealed segments into
/// the largest HNSW graph; index a segment that has no index for the current spec; rebuild a segment heavy with tombstones; merge the two smallest segments when
/// there are too many. Caller holds the collection's read lock.
/// </summary>
internal static class OptimizerPlanner
{
    public static OptimizerJob? Plan(SpaceIndex space, IndexingOptions options)
    {
        if (space.Spec is not { } spec)
        {
            return null;
        }

        if (space.Appendable.Count >= options.SealThreshold)
        {
            return new OptimizerJob.Seal();
        }

        if (options.MergeIntoLargestGraph && GraphMergePlanner.Plan(space, spec, options) is { } merge)
        {
            return merge;
        }

        foreach (var segment in space.Sealed)
        {
            if (segment.LiveCount == 0)
            {
                return new OptimizerJob.Build([segment], spec, "every row is deleted");
            }

            if ((segment.Index is null || segment.BuiltFor != spec) && segment.FailedFor != spec)
            {
                return new OptimizerJob.Build([segment], spec, segment.Index is null ? "not indexed" : $"spec changed from {segment.BuiltFor}");
            }
        }

        foreach (var segment in space.Sealed)
        {
            if (segment.DeadCount >= options.TombstoneRebuildFraction * segment.Count && segment.FailedFor != spec)
            {
                return new OptimizerJob.Build([segment], spec, $"{segment.DeadCount} of {segment.Count} rows are tombstones");
            }
        }

        if (space.Sealed.Count > options.MaxSealedSegments)
        {
            var smallest = space.Sealed.OrderBy(s => s.LiveCount).Take(2).ToArray();
            if (smallest.Sum(s => (long)s.LiveCount) <= options.MaxSegmentVectors && smallest.All(s => s.FailedFor != spec))
            {
                return new OptimizerJob.Build(smallest, spec, $"{space.Sealed.Count} segments exceed {options.MaxSealedSegments}");
            }
        }

        return null;
    }
}
