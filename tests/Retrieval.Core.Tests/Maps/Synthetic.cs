using MathNet.Numerics.LinearAlgebra;
using Retrieval.Core.Maps;

namespace Retrieval.Core.Tests.Maps;

/// <summary>Seeded synthetic ground truth: <c>old = new·T + shift + noise</c> with a known transform T.</summary>
internal static class Synthetic
{
    public static Random Rng(int seed) => new(seed);

    public static float[] Gaussian(Random rng, int count, double scale = 1)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            values[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return values;
    }

    /// <summary>A random orthogonal d×d matrix (Q of the QR of a Gaussian matrix), row-major double.</summary>
    public static Matrix<double> Orthogonal(Random rng, int d)
    {
        var g = Matrix<double>.Build.Dense(d, d, Gaussian(rng, d * d).Select(v => (double)v).ToArray());
        return g.QR().Q;
    }

    /// <summary>
    /// n new rows ~ N(0, 1/d) per coordinate (norms ≈ 1) and old rows = new·T + shift + N(0, noise²/d_o).
    /// <paramref name="isotropic"/> makes the new rows exactly isotropic (<c>X_nᵀX_n = (n/d)·I</c>): the case in which
    /// Procrustes against zero-padded targets (semi-orthogonal and extend maps) recovers a ground-truth prefix exactly.
    /// </summary>
    public static AnchorSet Pairs(Random rng, int n, Matrix<double> transform, float[]? shift = null, double noise = 0, bool isotropic = false)
    {
        var dn = transform.RowCount;
        var dOld = transform.ColumnCount;
        var xn = Gaussian(rng, n * dn, 1 / Math.Sqrt(dn));
        if (isotropic)
        {
            var q = Matrix<double>.Build.Dense(n, dn, (i, j) => xn[(i * dn) + j]).QR().Q.SubMatrix(0, n, 0, dn) * Math.Sqrt(n / (double)dn);
            xn = q.ToRowMajorArray().Select(v => (float)v).ToArray();
        }

        var xo = Map(xn, dn, transform, shift);
        if (noise > 0)
        {
            var e = Gaussian(rng, xo.Length, noise / Math.Sqrt(dOld));
            for (var i = 0; i < xo.Length; i++)
            {
                xo[i] += e[i];
            }
        }

        return new AnchorSet(xn, dn, xo, dOld);
    }

    /// <summary>Rows of <paramref name="x"/> times <paramref name="transform"/> plus <paramref name="shift"/>, in double.</summary>
    public static float[] Map(float[] x, int d, Matrix<double> transform, float[]? shift)
    {
        var n = x.Length / d;
        var dOut = transform.ColumnCount;
        var y = new float[n * dOut];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < dOut; j++)
            {
                var s = shift is null ? 0d : shift[j];
                for (var p = 0; p < d; p++)
                {
                    s += x[(i * d) + p] * transform[p, j];
                }

                y[(i * dOut) + j] = (float)s;
            }
        }

        return y;
    }

    public static Matrix<double> Weights(CompatibilityMap map)
    {
        var w = map.Weights.ToArray();
        return Matrix<double>.Build.Dense(map.InputDimension, map.OutputDimension, (i, j) => w[(i * map.OutputDimension) + j]);
    }

    public static double RelativeError(Matrix<double> actual, Matrix<double> expected) =>
        (actual - expected).FrobeniusNorm() / expected.FrobeniusNorm();
}
