using System.Buffers;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// Exact Chamfer similarity (ColBERT's MaxSim): CH(Q, P) = Σ_{q∈Q} max_{p∈P} ⟨q, p⟩ — asymmetric, plain inner product.
/// </summary>
public static class Chamfer
{
    private const int StackLimit = 256;

    /// <summary>CH(<paramref name="query"/>, <paramref name="document"/>) with the SIMD kernel (Vector256 + FMA where available).</summary>
    /// <exception cref="ArgumentException">The two multi-vectors have different token dimensions.</exception>
    public static float Score(TokenMatrix query, TokenMatrix document) => Score(query, document, vectorized: true);

    /// <summary>The scalar reference implementation of <see cref="Score(TokenMatrix, TokenMatrix)"/> (plain loops).</summary>
    public static float ScoreScalar(TokenMatrix query, TokenMatrix document) => Score(query, document, vectorized: false);

    private static float Score(TokenMatrix query, TokenMatrix document, bool vectorized)
    {
        ArgumentNullException.ThrowIfNull(document);
        return Score(query, document.Values, document.Count, document.Dimension, vectorized);
    }

    /// <summary>CH against a document given as <paramref name="count"/> row-major rows (decoded stored tokens).</summary>
    internal static float Score(TokenMatrix query, ReadOnlySpan<float> document, int count, int dimension) =>
        Score(query, document, count, dimension, vectorized: true);

    private static float Score(TokenMatrix query, ReadOnlySpan<float> document, int count, int dimension, bool vectorized)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Dimension != dimension)
        {
            throw new ArgumentException($"query tokens have {query.Dimension} components, document tokens {dimension}", nameof(document));
        }

        float[]? rented = null;
        var best = query.Count <= StackLimit
            ? stackalloc float[query.Count]
            : (rented = ArrayPool<float>.Shared.Rent(query.Count)).AsSpan(0, query.Count);
        try
        {
            if (vectorized)
            {
                ChamferKernel.MaxInnerProducts(query.Values, query.Count, document, count, dimension, best);
            }
            else
            {
                ChamferKernel.MaxInnerProductsScalar(query.Values, query.Count, document, count, dimension, best);
            }

            var sum = 0f;
            foreach (var value in best)
            {
                sum += value;
            }

            return sum;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }
}
