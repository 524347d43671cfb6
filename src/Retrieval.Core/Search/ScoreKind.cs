namespace Retrieval.Core.Search;

/// <summary>
/// The score an exact scan computes. Cosine spaces store normalized vectors and use <see cref="InnerProduct"/>.
/// </summary>
public enum ScoreKind
{
    /// <summary>⟨q, x⟩.</summary>
    InnerProduct,

    /// <summary>−‖q − x‖².</summary>
    NegativeSquaredL2,
}
