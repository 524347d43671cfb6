namespace Retrieval.Core.Maps;

/// <summary>
/// How a <see cref="CompatibilityMap"/> was obtained (DESIGN §7). Every kind is applied the same way,
/// <c>x̂ = (x − μ_in)·W + b</c>, plus, for <see cref="ResidualMlp"/>, a one-hidden-layer residual term.
/// </summary>
public enum MapKind
{
    /// <summary>Orthogonal Procrustes on the raw anchors: <c>W = UVᵀ</c> from <c>X_nᵀX_o = UΣVᵀ</c>; no shift.</summary>
    Orthogonal = 1,

    /// <summary>Centre both sides, Procrustes on the centred anchors: <c>x̂ = (x − μ_n)W + μ_o</c>.</summary>
    CanonicalQ = 2,

    /// <summary>Ridge least squares on centred anchors plus bias: <c>W = (X̃ₙᵀX̃ₙ + αI)⁻¹X̃ₙᵀX̃ₒ</c>.</summary>
    Affine = 3,

    /// <summary>Centred least squares kept near-orthogonal by the penalty <c>λ‖WᵀW − I‖²</c>.</summary>
    LambdaOrthogonal = 4,

    /// <summary>An orthogonal <c>Q ∈ O(d_n)</c> whose first <c>d_o</c> output coordinates match the old space.</summary>
    OrthogonalExtend = 5,

    /// <summary>A matrix (and optional bias) trained elsewhere, validated on load.</summary>
    External = 6,

    /// <summary>
    /// Higher capacity (Drift-Adapter style): a trainable affine part started from the scaled centred Procrustes map plus a
    /// one-hidden-layer ReLU residual, trained on anchors with early stopping on a held-out share of them.
    /// </summary>
    ResidualMlp = 7,

    /// <summary>The exact composition of two maps (a chain such as v3→v2→v1).</summary>
    Composed = 8,

    /// <summary>
    /// Trained for retrieval: the canonical-Q map plus a low-rank linear residual <c>U·V</c> fitted with a contrastive
    /// (InfoNCE) loss of each mapped anchor against its own old vector versus in-batch and mined hard negatives, early-stopped
    /// on a held-out share of the anchors and started at the canonical-Q solution (so never worse than it on that share).
    /// </summary>
    RankingAdapter = 9,

    /// <summary>
    /// Requested only, never stored: <see cref="AutoMapSelector"/> fits the candidate kinds that fit in a time budget, scores
    /// each by cross-validated held-out recall@10 on the anchors (and the evaluation queries when given) and fits the best;
    /// the map it returns is of that kind.
    /// </summary>
    Auto = 10,

    /// <summary>
    /// One side of a two-sided pair (issue 18 item 3): the new space's queries and the old space's stored vectors are both
    /// mapped into a third, joint space, <c>ẑ = (x − μ)·P</c>, by regularized canonical correlation analysis fitted on the
    /// anchors. Fitted by <see cref="TwoSidedPipeline"/> as a pair; the old gallery is re-projected into the joint space by a
    /// re-projection migration (a matrix product per stored vector, no model inference).
    /// </summary>
    TwoSided = 11,
}
