using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;

namespace Retrieval.Core.Tests.Maps;

public class MapPipelineTests
{
    private const int D = 16;

    /// <summary>
    /// Gallery G (m×d); old queries = G rows + noise <paramref name="oldNoise"/>; new queries = (G rows + noise
    /// <paramref name="newNoise"/>)·Rᵀ, so the fitted map (≈ R) turns them into old-space queries of that noise.
    /// </summary>
    private static EvaluationSet Evaluation(Random rng, MathNet.Numerics.LinearAlgebra.Matrix<double> r, double oldNoise, double newNoise, bool unrelatedNewQueries = false)
    {
        const int m = 300;
        const int q = 100;
        var gallery = Synthetic.Gaussian(rng, m * D, 1 / Math.Sqrt(D));
        var rows = Enumerable.Range(0, q).Select(_ => rng.Next(m)).ToArray();
        var oldQueries = Noisy(rng, gallery, rows, oldNoise);
        var newQueries = unrelatedNewQueries
            ? Synthetic.Gaussian(rng, q * D, 1 / Math.Sqrt(D))
            : Synthetic.Map(Noisy(rng, gallery, rows, newNoise), D, r.Transpose(), null);
        return new EvaluationSet(newQueries, D, oldQueries, gallery, D, rows.Select(x => (IReadOnlyList<int>)[x]).ToArray());
    }

    private static float[] Noisy(Random rng, float[] gallery, int[] rows, double noise)
    {
        var result = new float[rows.Length * D];
        var e = Synthetic.Gaussian(rng, result.Length, noise / Math.Sqrt(D));
        for (var i = 0; i < rows.Length; i++)
        {
            for (var j = 0; j < D; j++)
            {
                result[(i * D) + j] = gallery[(rows[i] * D) + j] + e[(i * D) + j];
            }
        }

        return result;
    }

    [Fact]
    public void Run_MappedQueriesBetterThanOld_GatePasses()
    {
        var rng = Synthetic.Rng(41);
        var r = Synthetic.Orthogonal(rng, D);
        var anchors = Synthetic.Pairs(rng, 200, r, noise: 0.01);

        var result = MapPipeline.Run(anchors, new MapFitOptions { Kind = MapKind.Orthogonal, Seed = 7 }, Evaluation(rng, r, oldNoise: 0.8, newNoise: 0.1));

        var report = result.Report;
        Assert.Equal(GateOutcome.Passed, report.Gate);
        Assert.Equal((160, 40), (report.FitAnchors, report.HeldOutAnchors));
        Assert.Equal(1.0, report.IdentificationRecallAt1);
        Assert.True(report.MeanCosine > 0.99);
        Assert.True(report.OrthogonalityError < 1e-5);
        Assert.NotNull(report.Evaluation!.NewToOldUnmapped);
        Assert.True(report.Evaluation.NewToOldMapped.RecallAt1 > report.Evaluation.NewToOldUnmapped!.RecallAt1);
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public void Run_UnrelatedNewQueries_GateFailsAndSaysSo()
    {
        var rng = Synthetic.Rng(42);
        var r = Synthetic.Orthogonal(rng, D);
        var anchors = Synthetic.Pairs(rng, 200, r, noise: 0.01);

        var report = MapPipeline.Run(anchors, new MapFitOptions { Kind = MapKind.CanonicalQ, GateMetric = GateMetric.MapAt10 }, Evaluation(rng, r, 0.3, 0.3, unrelatedNewQueries: true)).Report;

        Assert.Equal(GateOutcome.Failed, report.Gate);
        Assert.Contains(report.Warnings, w => w.Contains("gate failed", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_WithoutEvaluationSet_GateNotEvaluated()
    {
        var rng = Synthetic.Rng(43);
        var anchors = Synthetic.Pairs(rng, 100, Synthetic.Orthogonal(rng, D));

        var report = MapPipeline.Run(anchors, new MapFitOptions { Kind = MapKind.Affine, TargetMetric = Metric.Cosine }).Report;

        Assert.Equal(GateOutcome.NotEvaluated, report.Gate);
        Assert.Null(report.Evaluation);
    }

    [Fact]
    public void Run_FewerThanFourAnchorsPerDimension_Warns()
    {
        var rng = Synthetic.Rng(44);
        var anchors = Synthetic.Pairs(rng, 40, Synthetic.Orthogonal(rng, D));

        var report = MapPipeline.Run(anchors, new MapFitOptions { Kind = MapKind.CanonicalQ, HeldOutFraction = 0.25 }).Report;

        Assert.Contains(report.Warnings, w => w.Contains("may overfit", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_FewerAnchorsThanDimension_IsInvalidAnchors()
    {
        var rng = Synthetic.Rng(45);
        var anchors = Synthetic.Pairs(rng, 18, Synthetic.Orthogonal(rng, D)); // 14 left after holding out 20 %

        var ex = Assert.Throws<RetrievalException>(() => MapPipeline.Run(anchors, new MapFitOptions { Kind = MapKind.Orthogonal }));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Equal(FieldPath.Of("anchors"), ex.Path);
    }

    [Fact]
    public void AnchorSet_NaNComponent_IsInvalidAnchors()
    {
        var xn = new float[4 * 2];
        var xo = new float[4 * 2];
        xo[5] = float.NaN;

        var ex = Assert.Throws<RetrievalException>(() => new AnchorSet(xn, 2, xo, 2));

        Assert.Equal(FieldPath.Of("anchors"), ex.Path);
        Assert.Contains("anchor 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnchorSet_RowCountMismatch_IsInvalidAnchors()
    {
        var ex = Assert.Throws<RetrievalException>(() => new AnchorSet(new float[6], 2, new float[8], 2));
        Assert.Equal(FieldPath.Of("anchors"), ex.Path);
    }

    [Fact]
    public void Run_ExternalWithWrongDimensions_IsInvalid()
    {
        var rng = Synthetic.Rng(46);
        var anchors = Synthetic.Pairs(rng, 50, Synthetic.Orthogonal(rng, D));
        var external = new CompatibilityMap(MapKind.External, D, D + 1, new float[D * (D + 1)]);

        var ex = Assert.Throws<RetrievalException>(() => MapPipeline.Run(anchors, new MapFitOptions { Kind = MapKind.External, External = external }));
        Assert.Equal(FieldPath.Of("external").Member("weights"), ex.Path);
        var missing = Assert.Throws<RetrievalException>(() => MapPipeline.Run(anchors, new MapFitOptions { Kind = MapKind.External }));
        Assert.Equal(FieldPath.Of("external"), missing.Path);
    }

    [Fact]
    public void Run_ExternalExactMap_IsMeasuredOnAllAnchors()
    {
        var rng = Synthetic.Rng(47);
        var r = Synthetic.Orthogonal(rng, D);
        var anchors = Synthetic.Pairs(rng, 50, r);
        var external = new CompatibilityMap(MapKind.External, D, D, r.ToRowMajorArray().Select(v => (float)v).ToArray());

        // Cosine: an exact map scores its own old vector 1, the maximum (inner product could prefer a longer vector).
        var report = MapPipeline.Run(anchors, new MapFitOptions { Kind = MapKind.External, External = external, TargetMetric = Metric.Cosine }).Report;

        Assert.Equal((0, 50), (report.FitAnchors, report.HeldOutAnchors));
        Assert.Equal(1.0, report.IdentificationRecallAt1);
    }

    [Fact]
    public void Split_SameSeed_IsDeterministicAndDisjoint()
    {
        var rng = Synthetic.Rng(48);
        var anchors = Synthetic.Pairs(rng, 100, Synthetic.Orthogonal(rng, 4));

        var a = anchors.Split(0.3, 5);
        var b = anchors.Split(0.3, 5);

        Assert.Equal((70, 30), (a.Fit.Count, a.HeldOut.Count));
        Assert.Equal(a.HeldOut.New.ToArray(), b.HeldOut.New.ToArray());
        Assert.NotEqual(a.HeldOut.New.ToArray(), anchors.Split(0.3, 6).HeldOut.New.ToArray());
    }
}
