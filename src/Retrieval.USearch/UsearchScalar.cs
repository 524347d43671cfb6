namespace Retrieval.USearch;

/// <summary>How USearch stores vectors inside the graph.</summary>
public enum UsearchScalar
{
    /// <summary>32-bit floats, as given.</summary>
    F32,

    /// <summary>IEEE half precision: half the memory, about three significant digits.</summary>
    F16,

    /// <summary>
    /// 8-bit integers: USearch normalizes each vector and scales it to [−127, 127], so it is only meaningful with
    /// <see cref="UsearchMetric.Cosine"/>.
    /// </summary>
    I8,
}
