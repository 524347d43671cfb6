using CsCheck;
using Retrieval.Core.Search;
using Retrieval.Core.Search.Kernels;

namespace Retrieval.Core.Tests.Search;

/// <summary>The kernels against plain double loops, for dimensions 1..300 (most not multiples of 8).</summary>
public sealed unsafe class ScoreKernelTests
{
    /// <summary>Four queries and four rows of one random dimension, stored contiguously as the scans see them.</summary>
    private static readonly Gen<(int Dim, float[] Queries, float[] Rows)> Tiles =
        Gen.Int[1, 300].SelectMany(dim => Gen.Select(
            Gen.Float[-2f, 2f].Array[4 * dim],
            Gen.Float[-2f, 2f].Array[4 * dim],
            (q, x) => (dim, q, x)));

    [Fact]
    public void Vector256InnerProduct_MatchesNaiveAndIsTilePositionIndependent()
    {
        if (Vector256Kernel<InnerProductOp>.IsSupported)
        {
            Check<Vector256Kernel<InnerProductOp>>(ScoreKind.InnerProduct);
        }
    }

    [Fact]
    public void Vector256SquaredL2_MatchesNaiveAndIsTilePositionIndependent()
    {
        if (Vector256Kernel<NegativeSquaredL2Op>.IsSupported)
        {
            Check<Vector256Kernel<NegativeSquaredL2Op>>(ScoreKind.NegativeSquaredL2);
        }
    }

    [Fact]
    public void PortableInnerProduct_MatchesNaiveAndIsTilePositionIndependent() =>
        Check<PortableInnerProductKernel>(ScoreKind.InnerProduct);

    [Fact]
    public void PortableSquaredL2_MatchesNaiveAndIsTilePositionIndependent() =>
        Check<PortableSquaredL2Kernel>(ScoreKind.NegativeSquaredL2);

    private static void Check<TKernel>(ScoreKind kind)
        where TKernel : struct, IScoreKernel
    {
        DeterministicSample.Run(Tiles, tile =>
        {
            var (dim, queries, rows) = tile;
            var single = new float[16];
            var oneByFour = new float[16];
            var tiled = new float[16];
            fixed (float* q = queries)
            fixed (float* x = rows)
            fixed (float* s1 = oneByFour)
            fixed (float* s4 = tiled)
            {
                TKernel.Score4x4(q, dim, x, dim, dim, s4, 4);
                for (var j = 0; j < 4; j++)
                {
                    TKernel.Score1x4(q + (j * dim), x, dim, dim, s1 + (j * 4));
                    for (var i = 0; i < 4; i++)
                    {
                        single[(j * 4) + i] = TKernel.Score(q + (j * dim), x + (i * dim), dim);
                    }
                }
            }

            for (var j = 0; j < 4; j++)
            {
                for (var i = 0; i < 4; i++)
                {
                    var qv = queries.AsSpan(j * dim, dim);
                    var xv = rows.AsSpan(i * dim, dim);
                    var expected = Naive.Score(qv, xv, kind);
                    var tolerance = Naive.Tolerance(qv, xv, kind);
                    var got = single[(j * 4) + i];
                    Assert.True(Math.Abs(got - expected) <= tolerance, $"dim {dim} q{j} x{i}: {got} vs {expected} (tolerance {tolerance})");

                    // Bit-identical across methods: what makes batch results equal single-query results.
                    Assert.Equal(got, oneByFour[(j * 4) + i]);
                    Assert.Equal(got, tiled[(j * 4) + i]);
                }
            }
        }, count: 400);
    }
}
