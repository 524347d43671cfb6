using Retrieval.Core.Maps;
using Retrieval.Core.Model;

namespace Retrieval.Core.Tests.Maps;

public class ResidualMlpTests
{
    private const int D = 8;

    /// <summary>old = new·R + 0.5·ReLU(new·S)·P: a linear part plus a non-linearity no linear map can express.</summary>
    private static AnchorSet NonLinearPairs(int n, int seed)
    {
        var rng = Synthetic.Rng(seed);
        var r = Synthetic.Orthogonal(rng, D);
        var s = Synthetic.Orthogonal(rng, D) * Math.Sqrt(D);
        var p = Synthetic.Orthogonal(rng, D);
        var xn = Synthetic.Gaussian(rng, n * D, 1 / Math.Sqrt(D));
        var lin = Synthetic.Map(xn, D, r, null);
        var hidden = Synthetic.Map(xn, D, s, null).Select(v => Math.Max(v, 0f)).ToArray();
        var non = Synthetic.Map(hidden, D, p * (0.5 / Math.Sqrt(D)), null);
        var xo = lin.Zip(non, (a, b) => a + b).ToArray();
        return new AnchorSet(xn, D, xo, D);
    }

    private static double HeldOutMse(CompatibilityMap map, AnchorSet heldOut)
    {
        var y = map.ApplyBatch(heldOut.New, heldOut.Count);
        var old = heldOut.Old;
        var sum = 0d;
        for (var i = 0; i < y.Length; i++)
        {
            sum += (y[i] - old[i]) * (double)(y[i] - old[i]);
        }

        return sum / heldOut.Count;
    }

    [Fact]
    public void Fit_NonLinearGroundTruth_BeatsBestLinearMapOnHeldOut()
    {
        var split = NonLinearPairs(1500, 51).Split(0.2, 1);
        var options = new MapFitOptions { Kind = MapKind.ResidualMlp, Mlp = new ResidualMlpOptions { Hidden = 32, MaxEpochs = 60, LearningRate = 3e-3 } };

        var mlp = MapFitter.Fit(split.Fit, options);
        var affine = MapFitter.Fit(split.Fit, new MapFitOptions { Kind = MapKind.Affine });

        var mlpError = HeldOutMse(mlp, split.HeldOut);
        var affineError = HeldOutMse(affine, split.HeldOut);
        Assert.NotNull(mlp.Residual);
        Assert.True(mlpError < 0.5 * affineError, $"mlp {mlpError}, affine {affineError}");
    }

    [Fact]
    public void Fit_SameSeed_IsBitIdentical()
    {
        var anchors = NonLinearPairs(300, 52);
        var options = new MapFitOptions { Kind = MapKind.ResidualMlp, Seed = 3, Mlp = new ResidualMlpOptions { Hidden = 8, MaxEpochs = 5 } };

        Assert.Equal(MapSerializer.Serialize(MapFitter.Fit(anchors, options)), MapSerializer.Serialize(MapFitter.Fit(anchors, options)));
    }

    [Fact]
    public void Fit_LinearGroundTruth_StaysCloseToBestLinearMap()
    {
        // Early stopping keeps the start (scaled centred Procrustes) or better when there is nothing non-linear to learn.
        var rng = Synthetic.Rng(53);
        var anchors = Synthetic.Pairs(rng, 400, Synthetic.Orthogonal(rng, D) * 1.3, noise: 0.05);
        var split = anchors.Split(0.25, 2);

        var mlp = MapFitter.Fit(split.Fit, new MapFitOptions { Kind = MapKind.ResidualMlp, TargetMetric = Metric.InnerProduct, Mlp = new ResidualMlpOptions { Hidden = 8, MaxEpochs = 30 } });
        var affine = MapFitter.Fit(split.Fit, new MapFitOptions { Kind = MapKind.Affine });

        Assert.True(HeldOutMse(mlp, split.HeldOut) < 1.2 * HeldOutMse(affine, split.HeldOut));
    }
}
