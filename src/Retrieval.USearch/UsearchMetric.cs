namespace Retrieval.USearch;

/// <summary>How USearch compares vectors. Distances are lower-is-better.</summary>
public enum UsearchMetric
{
    /// <summary>1 − ⟨a, b⟩.</summary>
    InnerProduct,

    /// <summary>1 − cos(a, b); the metric USearch's 8-bit quantization is made for.</summary>
    Cosine,

    /// <summary>‖a − b‖².</summary>
    SquaredL2,
}
