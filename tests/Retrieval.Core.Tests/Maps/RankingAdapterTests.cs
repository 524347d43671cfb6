using MathNet.Numerics.LinearAlgebra;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;

namespace Retrieval.Core.Tests.Maps;

public class RankingAdapterTests
{
    private const int D = 16;

    /// <summary>old = new·R·diag(s): a rotation with strongly unequal gains, which no orthogonal map can express, plus noise.</summary>
    private static AnchorSet AnisotropicPairs(int n, int seed, double noise)
    {
        var rng = Synthetic.Rng(seed);
        var r = Synthetic.Orthogonal(rng, D);
        var gains = Matrix<double>.Build.DenseOfDiagonalArray(Enumerable.Range(0, D).Select(i => i < 4 ? 4.0 : 0.25).ToArray());
        return Synthetic.Pairs(rng, n, r * gains, noise: noise);
    }

    [Fact]
    public void Fit_NoTrainingTime_IsExactlyCanonicalQ()
    {
        // Step 0 is the canonical-Q solution, so a fit with no epochs (or no time) serves exactly that map.
        var anchors = AnisotropicPairs(300, 61, 0.05);
        var canonical = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.CanonicalQ });

        foreach (var adapter in new[]
        {
            new RankingAdapterOptions { MaxEpochs = 0 },
            new RankingAdapterOptions { MaxSeconds = 0 },
        })
        {
            var map = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.RankingAdapter, Adapter = adapter });
            Assert.Equal(MapKind.RankingAdapter, map.Kind);
            Assert.Null(map.Residual);
            Assert.Equal(canonical.Weights.ToArray(), map.Weights.ToArray());
            Assert.Equal(canonical.Bias.ToArray(), map.Bias.ToArray());
            Assert.Equal(canonical.InputMean.ToArray(), map.InputMean.ToArray());
        }
    }

    [Fact]
    public void Fit_AnisotropicPair_IdentifiesHeldOutAnchorsBetterThanCanonicalQ()
    {
        var split = AnisotropicPairs(2000, 62, 0.3).Split(0.25, 1);
        var options = new MapFitOptions { Kind = MapKind.RankingAdapter, Adapter = new RankingAdapterOptions { Rank = 8, MaxEpochs = 40, LearningRate = 3e-3 } };

        var adapter = MapFitter.Fit(split.Fit, options);
        var canonical = MapFitter.Fit(split.Fit, new MapFitOptions { Kind = MapKind.CanonicalQ });

        var adapterScores = MapEvaluator.HeldOut(adapter, split.HeldOut, Metric.InnerProduct);
        var canonicalScores = MapEvaluator.HeldOut(canonical, split.HeldOut, Metric.InnerProduct);
        Assert.True(adapterScores.RecallAt1 > canonicalScores.RecallAt1 + 0.02, $"adapter {adapterScores.RecallAt1}, canonical-Q {canonicalScores.RecallAt1}");
    }

    [Fact]
    public void Fit_ReportsEveryEpochFromTheStart()
    {
        var anchors = AnisotropicPairs(400, 63, 0.1);
        var reports = new List<MapFitProgress>();
        var progress = new SynchronousProgress(reports.Add);

        MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.RankingAdapter, Progress = progress, Adapter = new RankingAdapterOptions { MaxEpochs = 6, Patience = 100 } });

        Assert.Equal(Enumerable.Range(0, 7), reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.Equal(MapKind.RankingAdapter, r.Kind));
        Assert.All(reports, r => Assert.True(r.BestEpoch <= r.Epoch && double.IsFinite(r.ValidationLoss)));
        Assert.Equal(reports.MinBy(r => r.ValidationLoss)!.Epoch, reports[^1].BestEpoch);
    }

    [Fact]
    public void Fit_SameSeed_IsBitIdentical()
    {
        var anchors = AnisotropicPairs(300, 64, 0.1);
        var options = new MapFitOptions { Kind = MapKind.RankingAdapter, Seed = 5, Adapter = new RankingAdapterOptions { MaxEpochs = 4 } };

        Assert.Equal(MapSerializer.Serialize(MapFitter.Fit(anchors, options)), MapSerializer.Serialize(MapFitter.Fit(anchors, options)));
    }

    private sealed class SynchronousProgress(Action<MapFitProgress> report) : IProgress<MapFitProgress>
    {
        public void Report(MapFitProgress value) => report(value);
    }
}
