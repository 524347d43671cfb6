using System.Numerics.Tensors;

namespace Retrieval.Core.Maps;

/// <summary>Row-major float32 matrix-vector kernels on <see cref="TensorPrimitives"/>.</summary>
internal static class Gemv
{
    /// <summary>
    /// <c>y += vᵀ·M</c> for row-major <c>M</c> (<c>v.Length × y.Length</c>): <c>y += Σ_i v_i·M[i,:]</c>.
    /// Zero coefficients are skipped (ReLU outputs are often sparse).
    /// </summary>
    public static void AddRowCombination(ReadOnlySpan<float> v, ReadOnlySpan<float> m, Span<float> y)
    {
        var cols = y.Length;
        for (var i = 0; i < v.Length; i++)
        {
            var c = v[i];
            if (c != 0f)
            {
                TensorPrimitives.MultiplyAdd(m.Slice(i * cols, cols), c, y, y);
            }
        }
    }
}
