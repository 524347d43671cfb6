using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;

namespace Retrieval.Core.Tests.Maps;

/// <summary>
/// The two-sided pair on a synthetic pair with known structure: both models see the same 4-d latent factors through
/// different random linear maps, each adds private noise in every dimension, so exactly 4 directions are shared.
/// </summary>
public class TwoSidedFitterTests
{
    private const int Latent = 4;
    private const int NewDimension = 12;
    private const int OldDimension = 10;

    [Fact]
    public void Fit_SharedLatentFactors_JointSimilarityOfPairsFarAboveChance()
    {
        var (fit, heldOut) = Pairs(seed: 1, fitCount: 1200, heldOutCount: 300);

        var pair = TwoSidedFitter.Fit(fit, Latent, regularization: 1e-3, Metric.Cosine);

        var queries = pair.Query.ApplyBatch(heldOut.New, heldOut.Count);
        var gallery = pair.Gallery.ApplyBatch(heldOut.Old, heldOut.Count);
        double matched = 0, shuffled = 0;
        for (var i = 0; i < heldOut.Count; i++)
        {
            matched += Dot(queries, gallery, i, i);
            shuffled += Dot(queries, gallery, i, (i + 1) % heldOut.Count);
        }

        // Unit vectors (cosine joint space): the same item's two sides agree, different items are near orthogonal on average.
        Assert.True(matched / heldOut.Count > 0.8, $"mean joint cosine of matching pairs {matched / heldOut.Count:F3}");
        Assert.True(Math.Abs(shuffled / heldOut.Count) < 0.1, $"mean joint cosine of non-matching pairs {shuffled / heldOut.Count:F3}");
        var identification = RankingEvaluator.Evaluate(queries, gallery, Latent, Enumerable.Range(0, heldOut.Count).Select(i => new[] { i }).ToArray(), Metric.Cosine);
        Assert.True(identification.RecallAt10 > 10 * 10.0 / heldOut.Count, $"identification R@10 {identification.RecallAt10:F3} against chance {10.0 / heldOut.Count:F3}");
    }

    [Fact]
    public void Fit_CanonicalCorrelations_FindExactlyTheSharedDirections()
    {
        var (fit, _) = Pairs(seed: 2, fitCount: 2000, heldOutCount: 0);

        var pair = TwoSidedFitter.Fit(fit, 8, regularization: 1e-3, Metric.Cosine);

        Assert.Equal(8, pair.CanonicalCorrelations.Count);
        Assert.All(pair.CanonicalCorrelations.Take(Latent), r => Assert.True(r > 0.8, $"shared direction correlation {r:F3}"));
        Assert.All(pair.CanonicalCorrelations.Skip(Latent), r => Assert.True(r < 0.2, $"private direction correlation {r:F3}"));
        Assert.Equal((MapKind.TwoSided, MapKind.TwoSided), (pair.Query.Kind, pair.Gallery.Kind));
        Assert.Equal((NewDimension, 8, OldDimension, 8), (pair.Query.InputDimension, pair.Query.OutputDimension, pair.Gallery.InputDimension, pair.Gallery.OutputDimension));
    }

    [Fact]
    public void Fit_IsTheProductWithTheCentredInput()
    {
        var (fit, heldOut) = Pairs(seed: 3, fitCount: 600, heldOutCount: 5);

        var pair = TwoSidedFitter.Fit(fit, Latent, regularization: 0.1, Metric.InnerProduct);

        // ẑ = (x − μ)·P with μ the fit anchors' mean: checked against a product written out here.
        var mean = new double[OldDimension];
        for (var i = 0; i < fit.Count; i++)
        {
            for (var j = 0; j < OldDimension; j++)
            {
                mean[j] += fit.OldRow(i)[j] / (double)fit.Count;
            }
        }

        var weights = pair.Gallery.Weights.ToArray();
        for (var i = 0; i < heldOut.Count; i++)
        {
            var got = new float[Latent];
            pair.Gallery.Apply(heldOut.OldRow(i), got);
            for (var c = 0; c < Latent; c++)
            {
                var expected = 0d;
                for (var j = 0; j < OldDimension; j++)
                {
                    expected += (heldOut.OldRow(i)[j] - mean[j]) * weights[(j * Latent) + c];
                }

                Assert.Equal(expected, got[c], 1e-4);
            }
        }
    }

    [Fact]
    public void Pipeline_WithEvaluationQueries_ChoosesTheBestRegularizationAndReportsThePeer()
    {
        var (anchors, evaluation) = WithQueries(seed: 4);

        var result = TwoSidedPipeline.Run(anchors, new MapFitOptions(), new TwoSidedOptions { JointDimension = Latent }, evaluation);

        var report = result.Query.Report.TwoSided!;
        Assert.Equal(RegularizationChoice.EvaluationQueries, report.RegularizationChosenBy);
        Assert.Equal(TwoSidedOptions.DefaultCandidates, report.Candidates.Select(c => c.Regularization));
        var best = report.Candidates.MaxBy(c => c.Score)!;
        Assert.Equal(best.Regularization, report.Regularization);
        Assert.Equal(best.Score, result.Query.Report.Evaluation!.NewToOldMapped.RecallAt10, 12);
        Assert.NotNull(report.OneSided);
        Assert.Equal((TwoSidedRole.Query, TwoSidedRole.Gallery), (report.Role, result.Gallery.Report.TwoSided!.Role));
        Assert.Equal(result.Query.Report.Gate, result.Gallery.Report.Gate);
        Assert.True(result.Query.Report.IdentificationRecallAt10 > 0.5, $"held-out identification R@10 {result.Query.Report.IdentificationRecallAt10}");
    }

    [Fact]
    public void Pipeline_WithoutEvaluationQueries_UsesTheFallbackAndSaysSo()
    {
        var (anchors, _) = Pairs(seed: 5, fitCount: 800, heldOutCount: 0);

        var result = TwoSidedPipeline.Run(anchors, new MapFitOptions(), new TwoSidedOptions { JointDimension = Latent });

        Assert.Equal((RegularizationChoice.Fallback, TwoSidedOptions.FallbackRegularization), (result.Query.Report.TwoSided!.RegularizationChosenBy, result.Query.Report.TwoSided.Regularization));
        Assert.Contains(result.Query.Report.Warnings, w => w.Contains("not chosen on queries", StringComparison.Ordinal));
        Assert.Equal(GateOutcome.NotEvaluated, result.Query.Report.Gate);
    }

    [Theory]
    [InlineData(0, 1.0, "jointSpace")]
    [InlineData(OldDimension + 1, 1.0, "jointSpace")]
    [InlineData(Latent, 0.0, "jointRegularization")]
    [InlineData(Latent, double.NaN, "jointRegularization")]
    [InlineData(Latent, -1.0, "jointRegularization")]
    public void Fit_BadOptions_NameTheField(int jointDimension, double regularization, string field)
    {
        var (anchors, _) = Pairs(seed: 6, fitCount: 100, heldOutCount: 0);

        var error = Assert.Throws<RetrievalException>(() => TwoSidedFitter.Fit(anchors, jointDimension, regularization, Metric.Cosine));

        Assert.Equal((ErrorKind.InvalidArgument, field), (error.Kind, error.Path?.ToString()));
    }

    [Fact]
    public void Fit_FewerAnchorsThanDimensions_NamesAnchors()
    {
        var (anchors, _) = Pairs(seed: 7, fitCount: NewDimension - 1, heldOutCount: 0);

        var error = Assert.Throws<RetrievalException>(() => TwoSidedFitter.Fit(anchors, Latent, 1, Metric.Cosine));

        Assert.Equal("anchors", error.Path?.ToString());
    }

    [Fact]
    public void MapPipeline_RefusesTheTwoSidedKindWithoutAJointSpace()
    {
        var (anchors, _) = Pairs(seed: 8, fitCount: 100, heldOutCount: 0);

        var error = Assert.Throws<RetrievalException>(() => MapPipeline.Run(anchors, new MapFitOptions { Kind = MapKind.TwoSided }));

        Assert.Equal("jointSpace", error.Path?.ToString());
    }

    [Fact]
    public void Serializer_RoundTripsATwoSidedMap()
    {
        var (anchors, _) = Pairs(seed: 9, fitCount: 200, heldOutCount: 0);
        var gallery = TwoSidedFitter.Fit(anchors, Latent, 1, Metric.Cosine).Gallery;

        var back = MapSerializer.Deserialize(MapSerializer.Serialize(gallery));

        Assert.Equal((MapKind.TwoSided, true), (back.Kind, back.NormalizeOutput));
        Assert.Equal(gallery.Weights.ToArray(), back.Weights.ToArray());
        Assert.Equal(gallery.InputMean.ToArray(), back.InputMean.ToArray());
    }

    /// <summary>Anchor pairs of the shared-latent model, split into fit and held-out sets.</summary>
    internal static (AnchorSet Fit, AnchorSet HeldOut) Pairs(int seed, int fitCount, int heldOutCount)
    {
        var random = new Random(seed);
        var toNew = Matrix(random, Latent, NewDimension);
        var toOld = Matrix(random, Latent, OldDimension);
        var (n, o) = Sample(random, fitCount + heldOutCount, toNew, toOld);
        return (Slice(n, o, 0, fitCount), Slice(n, o, fitCount, heldOutCount));
    }

    /// <summary>Anchors plus evaluation queries: noisy re-draws of gallery items' latent factors, each relevant to its item.</summary>
    private static (AnchorSet Anchors, EvaluationSet Evaluation) WithQueries(int seed)
    {
        var random = new Random(seed);
        var toNew = Matrix(random, Latent, NewDimension);
        var toOld = Matrix(random, Latent, OldDimension);
        const int items = 600, queries = 150;
        var latent = new double[items][];
        var newItems = new float[items * NewDimension];
        var oldItems = new float[items * OldDimension];
        for (var i = 0; i < items; i++)
        {
            latent[i] = Gaussians(random, Latent, 1);
            Embed(random, latent[i], toNew, newItems.AsSpan(i * NewDimension, NewDimension));
            Embed(random, latent[i], toOld, oldItems.AsSpan(i * OldDimension, OldDimension));
        }

        var newQueries = new float[queries * NewDimension];
        var oldQueries = new float[queries * OldDimension];
        var relevant = new List<IReadOnlyList<int>>();
        for (var q = 0; q < queries; q++)
        {
            var item = random.Next(items);
            var z = latent[item].Select(v => v + (0.3 * Gaussians(random, 1, 1)[0])).ToArray();
            Embed(random, z, toNew, newQueries.AsSpan(q * NewDimension, NewDimension));
            Embed(random, z, toOld, oldQueries.AsSpan(q * OldDimension, OldDimension));
            relevant.Add([item]);
        }

        return (new AnchorSet(newItems, NewDimension, oldItems, OldDimension), new EvaluationSet(newQueries, NewDimension, oldQueries, oldItems, OldDimension, relevant));
    }

    private static (float[] New, float[] Old) Sample(Random random, int count, double[][] toNew, double[][] toOld)
    {
        var n = new float[count * NewDimension];
        var o = new float[count * OldDimension];
        for (var i = 0; i < count; i++)
        {
            var z = Gaussians(random, Latent, 1);
            Embed(random, z, toNew, n.AsSpan(i * NewDimension, NewDimension));
            Embed(random, z, toOld, o.AsSpan(i * OldDimension, OldDimension));
        }

        return (n, o);
    }

    /// <summary><c>z·A + 0.5·noise + an offset</c>: every output dimension carries private noise, and the means are not zero.</summary>
    private static void Embed(Random random, double[] z, double[][] a, Span<float> output)
    {
        for (var c = 0; c < output.Length; c++)
        {
            var value = 0.5 * Gaussians(random, 1, 1)[0] + 0.25;
            for (var k = 0; k < z.Length; k++)
            {
                value += z[k] * a[k][c];
            }

            output[c] = (float)value;
        }
    }

    private static AnchorSet Slice(float[] n, float[] o, int start, int count) =>
        new(n.AsSpan(start * NewDimension, count * NewDimension), NewDimension, o.AsSpan(start * OldDimension, count * OldDimension), OldDimension);

    private static double[][] Matrix(Random random, int rows, int columns) =>
        Enumerable.Range(0, rows).Select(_ => Gaussians(random, columns, 1)).ToArray();

    private static double[] Gaussians(Random random, int count, double scale) =>
        Enumerable.Range(0, count).Select(_ => scale * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())).ToArray();

    private static double Dot(float[] a, float[] b, int i, int j)
    {
        var sum = 0d;
        for (var c = 0; c < Latent; c++)
        {
            sum += a[(i * Latent) + c] * b[(j * Latent) + c];
        }

        return sum;
    }
}
