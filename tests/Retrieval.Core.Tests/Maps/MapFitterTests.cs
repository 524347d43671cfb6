using MathNet.Numerics.LinearAlgebra;
using Retrieval.Core.Maps;

namespace Retrieval.Core.Tests.Maps;

public class MapFitterTests
{
    private const int D = 16;

    [Fact]
    public void Orthogonal_ExactRotation_RecoversRotation()
    {
        var rng = Synthetic.Rng(1);
        var r = Synthetic.Orthogonal(rng, D);
        var anchors = Synthetic.Pairs(rng, 200, r);

        var map = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.Orthogonal });

        Assert.True(Synthetic.RelativeError(Synthetic.Weights(map), r) < 1e-5);
        Assert.True(MapEvaluator.OrthogonalityError(map) < 1e-5);
    }

    [Fact]
    public void Orthogonal_DifferentDimensions_IsSemiOrthogonal()
    {
        var rng = Synthetic.Rng(2);
        var r = Synthetic.Orthogonal(rng, 24).SubMatrix(0, 24, 0, D); // 24→16 with orthonormal columns
        var anchors = Synthetic.Pairs(rng, 200, r, noise: 0.01, isotropic: true);

        var map = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.Orthogonal });

        Assert.Equal((24, D), (map.InputDimension, map.OutputDimension));
        Assert.True(MapEvaluator.OrthogonalityError(map) < 1e-5);
        Assert.True(Synthetic.RelativeError(Synthetic.Weights(map), r) < 0.05);
    }

    [Fact]
    public void CanonicalQ_ShiftedNoisyRotation_RecoversRotationAndShift()
    {
        var rng = Synthetic.Rng(3);
        var r = Synthetic.Orthogonal(rng, D);
        var shift = Synthetic.Gaussian(rng, D, 0.5);
        var anchors = Synthetic.Pairs(rng, 400, r, shift, noise: 0.02);

        var map = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.CanonicalQ });
        var plain = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.Orthogonal });

        // Noise 0.02 against signal norm 1 over 400 anchors: the rotation is recovered to ~1e-2.
        Assert.True(Synthetic.RelativeError(Synthetic.Weights(map), r) < 0.02);
        Assert.True(MapEvaluator.OrthogonalityError(map) < 1e-5);
        var mappedZero = new float[D];
        map.Apply(Synthetic.Map(new float[D], D, Matrix<double>.Build.DenseIdentity(D), null), mappedZero);
        Assert.All(Enumerable.Range(0, D), j => Assert.InRange(mappedZero[j] - shift[j], -0.02, 0.02));

        // Without centring, the shift cannot be expressed by a rotation.
        Assert.True(Synthetic.RelativeError(Synthetic.Weights(plain), r) > 0.05);
    }

    [Fact]
    public void Affine_ScaledShearedMap_RecoversMatrixAndBias()
    {
        var rng = Synthetic.Rng(4);
        var t = (Synthetic.Orthogonal(rng, D) * 2.0) + Matrix<double>.Build.Dense(D, D, (i, j) => i == j ? 0.3 : 0);
        var shift = Synthetic.Gaussian(rng, D, 0.5);
        var anchors = Synthetic.Pairs(rng, 800, t, shift, noise: 0.01);

        var map = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.Affine });

        // Ridge α = 1e-3·mean eigenvalue shrinks by ~1e-3 relative; noise adds ~1e-3.
        Assert.True(Synthetic.RelativeError(Synthetic.Weights(map), t) < 0.01);
        var y = new float[D];
        map.Apply(new float[D], y);
        Assert.All(Enumerable.Range(0, D), j => Assert.InRange(y[j] - shift[j], -0.01, 0.01));
    }

    [Fact]
    public void OrthogonalExtend_PrefixOfRotation_PreservesNewInnerProductsAndMatchesOld()
    {
        var rng = Synthetic.Rng(5);
        const int dn = 24;
        var r = Synthetic.Orthogonal(rng, dn);
        // old = first 16 coordinates of new·R. Procrustes against zero-padded old vectors maximizes the prefix's
        // correlation tr(Q₁ᵀX_nᵀX_o); it equals the ground truth exactly when the new anchors are isotropic.
        var anchors = Synthetic.Pairs(rng, 300, r.SubMatrix(0, dn, 0, D), isotropic: true);

        var map = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.OrthogonalExtend });

        Assert.Equal((dn, dn, D), (map.InputDimension, map.OutputDimension, map.CompatiblePrefix));
        var x = Synthetic.Gaussian(rng, 20 * dn, 1 / Math.Sqrt(dn));
        var y = map.ApplyBatch(x, 20);
        for (var i = 0; i < 20; i++)
        {
            for (var j = 0; j < 20; j++)
            {
                var before = Dot(x.AsSpan(i * dn, dn), x.AsSpan(j * dn, dn));
                var after = Dot(y.AsSpan(i * dn, dn), y.AsSpan(j * dn, dn));
                Assert.InRange(after - before, -1e-5, 1e-5);
            }
        }

        Assert.True(Synthetic.RelativeError(Synthetic.Weights(map).SubMatrix(0, dn, 0, D), r.SubMatrix(0, dn, 0, D)) < 1e-5);
        var (r1, _, cosine) = MapEvaluator.HeldOut(map, anchors, Core.Model.Metric.Cosine);
        Assert.Equal(1.0, r1);
        Assert.True(cosine > 0.9999);
    }

    [Fact]
    public void OrthogonalExtend_AnisotropicAnchors_PrefixIsTheThinProcrustesMap()
    {
        // Maximizing tr(Qᵀ·X_nᵀ[X_o, 0]) only involves Q's first d_o columns, so they are the thin Procrustes map
        // d_n → d_o whatever the anchors' spread; the real-data benchmark's orthogonal and orthogonal-extend rows rely on it.
        var rng = Synthetic.Rng(6);
        var t = Matrix<double>.Build.Dense(24, D, (_, _) => rng.NextDouble() - 0.5);
        var anchors = Synthetic.Pairs(rng, 300, t, Synthetic.Gaussian(rng, D, 0.2), noise: 0.1);

        var extend = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.OrthogonalExtend });
        var thin = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.Orthogonal });

        Assert.True(Synthetic.RelativeError(Synthetic.Weights(extend).SubMatrix(0, 24, 0, D), Synthetic.Weights(thin)) < 1e-5);
        Assert.True(MapEvaluator.OrthogonalityError(extend) < 1e-5);
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var s = 0d;
        for (var i = 0; i < a.Length; i++)
        {
            s += (double)a[i] * b[i];
        }

        return s;
    }
}
