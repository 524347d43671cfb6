namespace Retrieval.Core.Formats;

/// <summary>The little-endian element types the <c>.npy</c> reader understands, named by their NumPy type codes.</summary>
public enum NpyDType
{
    /// <summary><c>&lt;f4</c>: float32.</summary>
    F4,

    /// <summary><c>&lt;f8</c>: float64.</summary>
    F8,

    /// <summary><c>&lt;i4</c>: int32.</summary>
    I4,

    /// <summary><c>&lt;i8</c>: int64.</summary>
    I8,
}
