using Retrieval.Engine.Indexes;

namespace Retrieval.Engine.Segments;

/// <summary>One unit of optimizer work on a space.</summary>
internal abstract record OptimizerJob
{
    /// <summary>Seal the appendable segment (it reached the threshold).</summary>
    public sealed record Seal : OptimizerJob;

    /// <summary>Build one segment from the live rows of <see cref="Sources"/> with <see cref="Spec"/> (index, rebuild or merge).</summary>
    public sealed record Build(IReadOnlyList<SealedSegment> Sources, IndexSpec Spec, string Reason) : OptimizerJob;
}
