using Retrieval.Core.Search.Kernels;

namespace Retrieval.Core.Search;

/// <summary>Scores one query against a block of consecutive rows, four rows per kernel pass.</summary>
internal static unsafe class RowBlockScorer<TKernel>
    where TKernel : struct, IScoreKernel
{
    /// <summary>scores[i] = score of row <paramref name="x"/> + i·dim for i in [0, <paramref name="count"/>).</summary>
    public static void ScoreAll(float* q, float* x, int dim, int count, float* scores)
    {
        var i = 0;
        for (; i <= count - 4; i += 4)
        {
            TKernel.Score1x4(q, x + ((nint)i * dim), dim, dim, scores + i);
        }

        for (; i < count; i++)
        {
            scores[i] = TKernel.Score(q, x + ((nint)i * dim), dim);
        }
    }

    /// <summary>
    /// Scores only the rows whose bit is set in <paramref name="mask"/>: selective filters then skip the memory
    /// traffic of the rows they exclude. Dense masks go through <see cref="ScoreAll"/>, whose 4-row passes are faster.
    /// </summary>
    public static void ScoreSelected(float* q, float* x, int dim, int count, ulong mask, float* scores)
    {
        if (System.Numerics.BitOperations.PopCount(mask) * 2 >= count)
        {
            ScoreAll(q, x, dim, count, scores);
            return;
        }

        while (mask != 0)
        {
            var i = System.Numerics.BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            scores[i] = TKernel.Score(q, x + ((nint)i * dim), dim);
        }
    }
}
