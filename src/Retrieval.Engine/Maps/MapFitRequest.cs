using Retrieval.Core.Maps;

namespace Retrieval.Engine.Maps;

/// <summary>
/// What to fit: a map from <see cref="FromSpace"/> (new model) into <see cref="ToSpace"/> (old model) of one collection.
/// Null options take the <see cref="MapFitOptions"/> defaults.
/// </summary>
public sealed record MapFitRequest(string FromSpace, string ToSpace, MapKind Kind)
{
    /// <summary>Share of anchors held out for the report; null: 0.2.</summary>
    public double? HeldOutFraction { get; init; }

    /// <summary>Seed of the anchor sample, split and fit; null: 1.</summary>
    public int? Seed { get; init; }

    /// <summary>Relative ridge strength of <see cref="MapKind.Affine"/>; null: default.</summary>
    public double? Alpha { get; init; }

    /// <summary>Orthogonality weight of <see cref="MapKind.LambdaOrthogonal"/>; null: default.</summary>
    public double? Lambda { get; init; }

    /// <summary>Most anchors sampled from the collection; 0 means all of them.</summary>
    public int MaxAnchors { get; init; }

    /// <summary>Inline anchor pairs (new, old); when not empty the collection's items are not used as anchors.</summary>
    public IReadOnlyList<(float[] New, float[] Old)> Anchors { get; init; } = [];

    /// <summary>Optional evaluation queries; the gallery is the collection's vectors in <see cref="ToSpace"/>.</summary>
    public IReadOnlyList<MapEvaluationQuery> Evaluation { get; init; } = [];

    /// <summary>The map of <see cref="MapKind.External"/>, already parsed (its shapes checked).</summary>
    public CompatibilityMap? External { get; init; }

    /// <summary><see cref="MapKind.Auto"/>: seconds for cross-validating the candidates; null: the engine's <c>AutoMapBudgetSeconds</c>.</summary>
    public double? AutoBudgetSeconds { get; init; }

    /// <summary>The metric the gate compares; null: recall@10.</summary>
    public GateMetric? GateMetric { get; init; }

    /// <summary>
    /// <see cref="MapKind.TwoSided"/>: the collection's dense space both maps of the pair end in (its dimension is the joint
    /// dimension, its metric the joint metric); required for that kind, refused for the others.
    /// </summary>
    public string? JointSpace { get; init; }

    /// <summary><see cref="MapKind.TwoSided"/>: the covariance shrinkage; null: chosen on the evaluation queries (or the fallback without them).</summary>
    public double? JointRegularization { get; init; }
}
