using Retrieval.Engine.Indexes;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Segments;

/// <summary>
/// Plans the merge of a space's other sealed segments into the graph of its largest one. It comes before indexing a
/// newly sealed segment on its own: inserting those rows into the big graph costs what building their own small graph
/// would, and the space keeps one graph, so a search walks one graph instead of one per segment.
/// </summary>
internal static class GraphMergePlanner
{
    /// <summary>The merge to run now, or null. Caller holds the collection's read lock.</summary>
    public static OptimizerJob.MergeIntoGraph? Plan(SpaceIndex space, IndexSpec spec, IndexingOptions options)
    {
        if (spec.IsIvf || space.Sealed.Count < 2)
        {
            return null;
        }

        SealedSegment? graphBase = null;
        foreach (var segment in space.Sealed)
        {
            if (segment.Index is IGrowableGraphIndex && segment.BuiltFor == spec && (graphBase is null || segment.Count > graphBase.Count))
            {
                graphBase = segment;
            }
        }

        // A graph heavy with tombstones is rebuilt first (the planner's tombstone rule), not grown.
        if (graphBase is null || graphBase.DeadCount >= options.TombstoneRebuildFraction * graphBase.Count)
        {
            return null;
        }

        // The smallest first, as many as fit under the segment size cap.
        var others = new List<SealedSegment>();
        long total = graphBase.Count;
        foreach (var segment in space.Sealed.Where(s => !ReferenceEquals(s, graphBase)).OrderBy(s => s.LiveCount))
        {
            if (segment.FailedFor == spec || total + segment.LiveCount > options.MaxSegmentVectors)
            {
                continue;
            }

            others.Add(segment);
            total += segment.LiveCount;
        }

        return others.Count == 0
            ? null
            : new OptimizerJob.MergeIntoGraph(graphBase, others, spec, $"{others.Count} segment(s) join the graph of segment {graphBase.Id}");
    }
}
