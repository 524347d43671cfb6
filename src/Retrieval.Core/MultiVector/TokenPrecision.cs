namespace Retrieval.Core.MultiVector;

/// <summary>How a multi-vector space keeps the token vectors its exact Chamfer rerank reads.</summary>
public enum TokenPrecision
{
    /// <summary>4 bytes per component, exactly as kept after pruning (default).</summary>
    Full = 0,

    /// <summary>IEEE half precision: 2 bytes per component, relative error ≤ 2⁻¹¹ per component.</summary>
    Float16 = 1,

    /// <summary>
    /// One signed byte per component plus one float32 scale per token (symmetric: scale = max |x| / 127), so a component
    /// is off by at most scale / 2.
    /// </summary>
    ScaledInt8 = 2,
}
