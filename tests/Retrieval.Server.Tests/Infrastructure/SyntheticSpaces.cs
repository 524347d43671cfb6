namespace Retrieval.Server.Tests.Infrastructure;

/// <summary>Seeded ground truth for compatibility maps: random orthogonal matrices and exact linear images of vectors.</summary>
internal static class SyntheticSpaces
{
    /// <summary>A random orthogonal <c>d × d</c> matrix (Gram–Schmidt on a seeded Gaussian-ish matrix), row-major.</summary>
    public static double[,] Orthogonal(int dimension, int seed)
    {
        var random = new Random(seed);
        var q = new double[dimension, dimension];
        for (var i = 0; i < dimension; i++)
        {
            for (var j = 0; j < dimension; j++)
            {
                q[i, j] = (random.NextDouble() * 2) - 1;
            }

            for (var k = 0; k < i; k++)
            {
                var dot = 0d;
                for (var j = 0; j < dimension; j++)
                {
                    dot += q[i, j] * q[k, j];
                }

                for (var j = 0; j < dimension; j++)
                {
                    q[i, j] -= dot * q[k, j];
                }
            }

            var norm = Math.Sqrt(Enumerable.Range(0, dimension).Sum(j => q[i, j] * q[i, j]));
            for (var j = 0; j < dimension; j++)
            {
                q[i, j] /= norm;
            }
        }

        return q;
    }

    /// <summary><c>x·R</c> plus uniform noise of amplitude <paramref name="noise"/>.</summary>
    public static float[] Multiply(float[] x, double[,] r, double noise = 0, Random? random = null)
    {
        var y = new float[r.GetLength(1)];
        for (var j = 0; j < y.Length; j++)
        {
            var sum = 0d;
            for (var i = 0; i < x.Length; i++)
            {
                sum += x[i] * r[i, j];
            }

            y[j] = (float)(sum + (noise == 0 ? 0 : noise * ((random!.NextDouble() * 2) - 1)));
        }

        return y;
    }
}
