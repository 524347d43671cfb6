using CsCheck;
using Retrieval.Core.Maps;

namespace Retrieval.Core.Tests.Maps;

public class RowMajorGemmTests
{
    private static double[] Naive(double[] a, double[] b, int m, int p, int n)
    {
        var c = new double[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0.0;
                for (var k = 0; k < p; k++)
                {
                    sum += a[(i * p) + k] * b[(k * n) + j];
                }

                c[(i * n) + j] = sum;
            }
        }

        return c;
    }

    private static void AssertClose(double[] expected, double[] actual, int p)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            // Summation order differs (FMA, inner blocks): allow a few ulps per term of the dot product.
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-13 * p * Math.Max(1, Math.Abs(expected[i])), $"entry {i}: {expected[i]} vs {actual[i]}");
        }
    }

    [Fact]
    public void Multiply_MatchesNaiveProduct_ForAnyShape()
    {
        // Shapes around the 4 × 8 tile and past the 256-wide inner block, with remainders in every direction.
        Gen.Select(Gen.Int[1, 37], Gen.Int[1, 300], Gen.Int[1, 29], Gen.Int[0, 10_000]).Sample((m, p, n, seed) =>
        {
            var rng = new Random(seed);
            var a = Enumerable.Range(0, m * p).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var b = Enumerable.Range(0, p * n).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var c = Enumerable.Repeat(double.NaN, m * n).ToArray();

            RowMajorGemm.Multiply(a, b, c, m, p, n);

            AssertClose(Naive(a, b, m, p, n), c, p);
        }, iter: 200);
    }

    [Fact]
    public void Multiply_LargeProduct_TakesTheParallelPathAndMatches()
    {
        const int m = 70, p = 600, n = 72;
        var rng = new Random(3);
        var a = Enumerable.Range(0, m * p).Select(_ => rng.NextDouble()).ToArray();
        var b = Enumerable.Range(0, p * n).Select(_ => rng.NextDouble()).ToArray();
        var c = new double[m * n];
        var scalar = new double[m * n];

        RowMajorGemm.Multiply(a, b, c, m, p, n);
        RowMajorGemm.MultiplyScalar(a, b, scalar, m, p, n);

        AssertClose(Naive(a, b, m, p, n), c, p);
        AssertClose(Naive(a, b, m, p, n), scalar, p);
    }

    [Fact]
    public void Multiply_OperandSmallerThanShape_Throws()
    {
        Assert.Throws<ArgumentException>(() => RowMajorGemm.Multiply(new double[5], new double[6], new double[6], 2, 3, 2));
    }
}
