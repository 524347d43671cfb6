namespace Retrieval.Core.Maps;

/// <summary>
/// What a fit achieved, stored with every map. Held-out figures are null when no anchors were held out; evaluation-set
/// figures are null (and the gate <see cref="GateOutcome.NotEvaluated"/>) when no evaluation set was supplied.
/// </summary>
public sealed record MapReport
{
    /// <summary>The kind of map fitted.</summary>
    public required MapKind Kind { get; init; }

    /// <summary>Anchors the map was fitted on.</summary>
    public required int FitAnchors { get; init; }

    /// <summary>Anchors held out for the figures below.</summary>
    public required int HeldOutAnchors { get; init; }

    /// <summary>Human-readable warnings (few anchors, gate failure explained, …).</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>Identification recall@1: share of held-out anchors whose mapped new vector ranks its own old vector first among all held-out old vectors.</summary>
    public double? IdentificationRecallAt1 { get; init; }

    /// <summary>Identification recall@10 over the held-out anchors.</summary>
    public double? IdentificationRecallAt10 { get; init; }

    /// <summary>Mean cosine between mapped new vectors (compatible prefix) and their old vectors over the held-out anchors.</summary>
    public double? MeanCosine { get; init; }

    /// <summary><c>‖WᵀW − I‖_F</c> (or <c>‖WWᵀ − I‖_F</c> when <c>d_in &lt; d_out</c>) of the linear part; 0 for (semi-)orthogonal maps.</summary>
    public required double OrthogonalityError { get; init; }

    /// <summary>Scores on the evaluation set, when one was supplied.</summary>
    public EvaluationScores? Evaluation { get; init; }

    /// <summary>The metric the gate compares.</summary>
    public required GateMetric GateMetric { get; init; }

    /// <summary>The BCT gate outcome.</summary>
    public required GateOutcome Gate { get; init; }

    /// <summary>For a map fitted with <see cref="MapKind.Auto"/>: every candidate's figures and why this kind was chosen; null otherwise.</summary>
    public AutoSelectionReport? AutoSelection { get; init; }

    /// <summary>
    /// For a <see cref="MapKind.TwoSided"/> map: its side, the pair's joint space, regularization, correlations, the one-sided
    /// peer and the re-projection cost. Its <see cref="Evaluation"/>'s mapped figures are the joint route (new queries
    /// through the query map against the old gallery through the gallery map). Null for every other kind.
    /// </summary>
    public TwoSidedReport? TwoSided { get; init; }
}
