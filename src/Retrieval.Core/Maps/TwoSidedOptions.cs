using Retrieval.Core.Model;

namespace Retrieval.Core.Maps;

/// <summary>
/// How <see cref="TwoSidedPipeline"/> fits a pair. The regularization is relative (a multiple of each side's mean
/// covariance eigenvalue), so it does not depend on vector scale; which value is good differs by model pair by three
/// orders of magnitude (docs/benchmarks.md, issue 18 item 3), so it is chosen on the operator's evaluation queries.
/// </summary>
public sealed record TwoSidedOptions
{
    /// <summary>The regularizations tried when evaluation queries are given (each a multiple of the mean eigenvalue).</summary>
    public static readonly IReadOnlyList<double> DefaultCandidates = [1e-3, 1e-2, 1e-1, 1, 10];

    /// <summary>Used without evaluation queries and without <see cref="Regularization"/>: the value that was never the worst on the pairs measured.</summary>
    public const double FallbackRegularization = 1;

    /// <summary>Dimension of the joint space, in <c>[1, min(d_n, d_o)]</c>; the caller takes it from the joint space's definition.</summary>
    public required int JointDimension { get; init; }

    /// <summary>The joint space's metric: cosine re-normalizes both sides' outputs and scores by cosine.</summary>
    public Metric JointMetric { get; init; } = Metric.Cosine;

    /// <summary>
    /// Covariance shrinkage <c>ε</c>: each side's covariance is <c>C + ε·mean(eig C)·I</c> before whitening. Null: the best of
    /// <see cref="Candidates"/> on the evaluation queries, or <see cref="FallbackRegularization"/> without them.
    /// </summary>
    public double? Regularization { get; init; }

    /// <summary>The values tried when <see cref="Regularization"/> is null and evaluation queries are given.</summary>
    public IReadOnlyList<double> Candidates { get; init; } = DefaultCandidates;
}
