using Retrieval.Engine.Indexes;

namespace Retrieval.Engine.Segments;

/// <summary>One unit of optimizer work on a space.</summary>
internal abstract record OptimizerJob
{
    /// <summary>Seal the appendable segment (it reached the threshold).</summary>
    public sealed record Seal : OptimizerJob;

    /// <summary>Build one segment from the live rows of <see cref="Sources"/> with <see cref="Spec"/> (index, rebuild or merge).</summary>
    public sealed record Build(IReadOnlyList<SealedSegment> Sources, IndexSpec Spec, string Reason) : OptimizerJob;

    /// <summary>
    /// Grow a copy of <see cref="Base"/>'s graph with the live rows of <see cref="Others"/>, replacing all of them:
    /// the background merge that leaves a streamed space with one graph, as a bulk build would.
    /// </summary>
    public sealed record MergeIntoGraph(SealedSegment Base, IReadOnlyList<SealedSegment> Others, IndexSpec Spec, string Reason) : OptimizerJob
    {
        /// <summary>The replaced segments, the base first (the order of the merged rows' provenance).</summary>
        public IReadOnlyList<SealedSegment> Sources { get; } = [Base, .. Others];
    }
}
