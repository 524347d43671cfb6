namespace Retrieval.Core.Search.Kernels;

/// <summary>
/// Scores one or more queries against one or more rows. Implementations are structs so that the scans,
/// which are generic over the kernel, are specialised by the JIT with no indirect calls in the hot loop.
/// </summary>
/// <remarks>
/// Invariant the tests rely on: within one implementation, the score of a (query, row) pair does not depend on
/// which method computed it or where the pair sat in a tile, so a batch search returns exactly what the
/// single-query search returns and duplicate rows tie exactly.
/// </remarks>
internal unsafe interface IScoreKernel
{
    /// <summary>The score of row <paramref name="x"/> for query <paramref name="q"/>.</summary>
    static abstract float Score(float* q, float* x, int dim);

    /// <summary>scores[i] = score of row x + i·xStride, i in [0, 4).</summary>
    static abstract void Score1x4(float* q, float* x, nint xStride, int dim, float* scores);

    /// <summary>scores[j·scoresStride + i] = score of query q + j·qStride against row x + i·xStride, i, j in [0, 4).</summary>
    static abstract void Score4x4(float* q, nint qStride, float* x, nint xStride, int dim, float* scores, nint scoresStride);
}
