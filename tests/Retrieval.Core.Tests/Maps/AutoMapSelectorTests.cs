using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;

namespace Retrieval.Core.Tests.Maps;

/// <summary>
/// <see cref="MapKind.Auto"/>: the candidate that generalizes best on held-out folds is chosen, the budget skips
/// candidates, failures are reported per candidate, and the table is complete. Ground truth is synthetic, with one kind
/// clearly right for each relation.
/// </summary>
public class AutoMapSelectorTests
{
    private static readonly MapKind[] LinearAndMlp = [MapKind.Orthogonal, MapKind.CanonicalQ, MapKind.Affine, MapKind.ResidualMlp];

    /// <summary>The residual MLP's settings of <see cref="ResidualMlpTests"/>: enough capacity and epochs for d = 8 data.</summary>
    private static readonly ResidualMlpOptions SmallMlp = new() { Hidden = 32, MaxEpochs = 60, LearningRate = 3e-3 };

    /// <summary>
    /// old = new·R + (|new·S| − E|·|)·P: an even, zero-mean non-linearity that no linear map (and no shift) can express,
    /// while a ReLU layer can (|z| = ReLU(z) + ReLU(−z)).
    /// </summary>
    private static AnchorSet NonLinearPairs(int n, int d, int seed)
    {
        var rng = Synthetic.Rng(seed);
        var r = Synthetic.Orthogonal(rng, d);
        var s = Synthetic.Orthogonal(rng, d) * Math.Sqrt(d);
        var p = Synthetic.Orthogonal(rng, d);
        var xn = Synthetic.Gaussian(rng, n * d, 1 / Math.Sqrt(d));
        var lin = Synthetic.Map(xn, d, r, null);
        // E|z| for z ~ N(0, 1) is √(2/π).
        var hidden = Synthetic.Map(xn, d, s, null).Select(v => MathF.Abs(v) - MathF.Sqrt(2 / MathF.PI)).ToArray();
        var non = Synthetic.Map(hidden, d, p * (1.5 / Math.Sqrt(d)), null);
        return new AnchorSet(xn, d, lin.Zip(non, (a, b) => a + b).ToArray(), d);
    }

    /// <summary>old = new·R + noise with few anchors per dimension: the rotation generalizes, free least squares overfits.</summary>
    private static AnchorSet NoisyRotation(int n, int d, int seed)
    {
        var rng = Synthetic.Rng(seed);
        return Synthetic.Pairs(rng, n, Synthetic.Orthogonal(rng, d), noise: 1.5);
    }

    private static MapFitOptions Auto(IReadOnlyList<MapKind> candidates, double budget = 600, int seed = 1) => new()
    {
        Kind = MapKind.Auto,
        Seed = seed,
        Mlp = SmallMlp,
        Auto = new AutoMapOptions { Candidates = candidates, BudgetSeconds = budget },
    };

    [Fact]
    public void Run_NonLinearRelation_ChoosesResidualMlp()
    {
        var result = MapPipeline.Run(NonLinearPairs(1500, 8, 71), Auto(LinearAndMlp));

        var selection = Assert.IsType<AutoSelectionReport>(result.Report.AutoSelection);
        Assert.Equal(MapKind.ResidualMlp, selection.Chosen);
        Assert.Equal(MapKind.ResidualMlp, result.Map.Kind);
        Assert.Equal(MapKind.ResidualMlp, result.Report.Kind);
        var mlp = selection.Candidates.Single(c => c.Kind == MapKind.ResidualMlp).Score!.Value;
        var bestLinear = selection.Candidates.Where(c => c.Kind != MapKind.ResidualMlp).Max(c => c.Score!.Value);
        Assert.True(mlp > bestLinear, $"mlp {mlp}, best linear {bestLinear}");
        Assert.Contains("residual_mlp", selection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_NoisyRotationFewAnchors_ChoosesAnOrthogonalKindOverAffine()
    {
        var result = MapPipeline.Run(NoisyRotation(150, 32, 72), Auto([MapKind.Orthogonal, MapKind.CanonicalQ, MapKind.Affine]));

        var selection = result.Report.AutoSelection!;
        Assert.Contains(selection.Chosen, new[] { MapKind.Orthogonal, MapKind.CanonicalQ });
        var chosen = selection.Candidates.Single(c => c.Kind == selection.Chosen).Score!.Value;
        var affine = selection.Candidates.Single(c => c.Kind == MapKind.Affine).Score!.Value;
        Assert.True(chosen > affine, $"{selection.Chosen} {chosen}, affine {affine}");
        Assert.True(MapEvaluator.OrthogonalityError(result.Map) < 1e-3);
    }

    [Fact]
    public void Run_Table_HasEveryCandidateInOrderWithFiguresAndAnOrdinaryReport()
    {
        var anchors = NoisyRotation(300, 8, 73);
        var kinds = new[] { MapKind.Orthogonal, MapKind.CanonicalQ, MapKind.Affine, MapKind.LambdaOrthogonal };
        var result = MapPipeline.Run(anchors, Auto(kinds));
        var plain = MapPipeline.Run(anchors, new MapFitOptions { Kind = result.Map.Kind, Mlp = SmallMlp });

        var selection = result.Report.AutoSelection!;
        Assert.Equal(kinds, selection.Candidates.Select(c => c.Kind));
        Assert.Equal(3, selection.Folds);
        Assert.All(selection.Candidates, c =>
        {
            Assert.Equal(AutoCandidateOutcome.Scored, c.Outcome);
            Assert.InRange(c.HeldOutRecallAt10!.Value, 0, 1);
            Assert.InRange(c.HeldOutNeighbourRecallAt10!.Value, 0, 1);
            Assert.Equal(c.HeldOutRecallAt10, c.Score);
            Assert.Null(c.EvaluationRecallAt10);
            Assert.True(c.FitSeconds >= 0);
            Assert.Null(c.Reason);
        });
        Assert.Equal(selection.Candidates.Max(c => c.Score), selection.Candidates.Single(c => c.Kind == selection.Chosen).Score);

        // The chosen map is exactly the map its kind fits on its own: same split, same anchors, same report figures.
        Assert.Equal(MapSerializer.Serialize(plain.Map), MapSerializer.Serialize(result.Map));
        Assert.Equal(plain.Report with { AutoSelection = selection }, result.Report with { Warnings = plain.Report.Warnings });
    }

    [Fact]
    public void Run_WithEvaluationSet_ScoresTheMeanOfAnchorAndEvaluationRecall()
    {
        var rng = Synthetic.Rng(74);
        var rotation = Synthetic.Orthogonal(rng, 8);
        var anchors = Synthetic.Pairs(rng, 300, rotation, noise: 0.3);
        var gallery = Synthetic.Pairs(rng, 100, rotation);
        var queries = Synthetic.Pairs(rng, 20, rotation);
        var evaluation = new EvaluationSet(queries.New, 8, queries.Old, gallery.Old, 8, Enumerable.Range(0, 20).Select(i => (IReadOnlyList<int>)[i]).ToList());

        var result = MapPipeline.Run(anchors, Auto([MapKind.Orthogonal, MapKind.Affine]), evaluation);

        Assert.All(result.Report.AutoSelection!.Candidates, c =>
        {
            Assert.InRange(c.EvaluationRecallAt10!.Value, 0, 1);
            Assert.Equal((c.HeldOutRecallAt10!.Value + c.EvaluationRecallAt10!.Value) / 2, c.Score!.Value, 12);
        });
        Assert.Contains("evaluation recall@10", result.Report.AutoSelection.Reason, StringComparison.Ordinal);
        Assert.NotNull(result.Report.Evaluation);
    }

    [Fact]
    public void Run_ZeroBudget_ScoresOnlyTheFirstCandidateAndSkipsTheRest()
    {
        var result = MapPipeline.Run(NoisyRotation(200, 8, 75), Auto([MapKind.Affine, MapKind.Orthogonal, MapKind.ResidualMlp], budget: 0));

        var rows = result.Report.AutoSelection!.Candidates;
        Assert.Equal(AutoCandidateOutcome.Scored, rows[0].Outcome);
        Assert.All(rows.Skip(1), c =>
        {
            Assert.Equal(AutoCandidateOutcome.SkippedForBudget, c.Outcome);
            Assert.Null(c.Score);
            Assert.Contains("budget", c.Reason, StringComparison.Ordinal);
        });
        Assert.Equal(MapKind.Affine, result.Map.Kind);
        Assert.Contains("only candidate scored", result.Report.AutoSelection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_CandidateFails_ReportsItsReasonAndChoosesAmongTheOthers()
    {
        var options = Auto([MapKind.LambdaOrthogonal, MapKind.Orthogonal]) with { Lambda = -1 };

        var result = MapPipeline.Run(NoisyRotation(200, 8, 76), options);

        var failed = result.Report.AutoSelection!.Candidates[0];
        Assert.Equal(AutoCandidateOutcome.Failed, failed.Outcome);
        Assert.Contains("≥ 0", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(MapKind.Orthogonal, result.Map.Kind);
    }

    [Fact]
    public void Run_EveryCandidateFails_IsInvalidArgumentNamingEachReason()
    {
        var options = Auto([MapKind.LambdaOrthogonal]) with { Lambda = -1 };

        var error = Assert.Throws<RetrievalException>(() => MapPipeline.Run(NoisyRotation(100, 8, 77), options));

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("lambda_orthogonal", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_BadOptions_AreInvalidArgumentNamingTheField()
    {
        var anchors = NoisyRotation(100, 8, 78);

        var budget = Assert.Throws<RetrievalException>(() => MapPipeline.Run(anchors, Auto([MapKind.Orthogonal], budget: double.NaN)));
        var external = Assert.Throws<RetrievalException>(() => MapPipeline.Run(anchors, Auto([MapKind.External])));
        var nested = Assert.Throws<RetrievalException>(() => MapPipeline.Run(anchors, Auto([MapKind.Auto])));

        Assert.Equal("autoBudgetSeconds", budget.Path?.ToString());
        Assert.Equal("kind", external.Path?.ToString());
        Assert.Equal("kind", nested.Path?.ToString());
    }

    [Fact]
    public void Run_SameSeed_SameChoiceAndFigures()
    {
        var anchors = NonLinearPairs(400, 8, 79);
        var options = Auto([MapKind.CanonicalQ, MapKind.Affine, MapKind.ResidualMlp], seed: 5);

        var first = MapPipeline.Run(anchors, options);
        var second = MapPipeline.Run(anchors, options);

        Assert.Equal(MapSerializer.Serialize(first.Map), MapSerializer.Serialize(second.Map));
        Assert.Equal(first.Report.AutoSelection!.Candidates.Select(c => (c.Kind, c.Score)), second.Report.AutoSelection!.Candidates.Select(c => (c.Kind, c.Score)));
    }

    [Fact]
    public void NeighbourAgreement_ExactRotation_IsOneAndNoiseLowersIt()
    {
        var rng = Synthetic.Rng(76);
        var rotation = Synthetic.Orthogonal(rng, 8);
        var exact = Synthetic.Pairs(rng, 400, rotation);
        var exactSplit = exact.Split(0.25, 1);
        var exactMap = MapFitter.Fit(exactSplit.Fit, new MapFitOptions { Kind = MapKind.Orthogonal });

        // A rotation keeps every inner product, so the new-space neighbours are exactly the mapped query's old-space ones.
        Assert.InRange(MapEvaluator.NeighbourAgreement(exactMap, exactSplit.HeldOut, exactSplit.Fit, Metric.InnerProduct), 0.99, 1.0);

        var noisy = Synthetic.Pairs(rng, 400, rotation, noise: 1.0);
        var noisySplit = noisy.Split(0.25, 1);
        var noisyMap = MapFitter.Fit(noisySplit.Fit, new MapFitOptions { Kind = MapKind.Orthogonal });
        var agreement = MapEvaluator.NeighbourAgreement(noisyMap, noisySplit.HeldOut, noisySplit.Fit, Metric.InnerProduct);
        Assert.InRange(agreement, 0, 0.9);

        // Deterministic: the same inputs give the same figure.
        Assert.Equal(agreement, MapEvaluator.NeighbourAgreement(noisyMap, noisySplit.HeldOut, noisySplit.Fit, Metric.InnerProduct));
    }

    [Fact]
    public void Run_SaturatedIdentification_TieGoesToTheHighestNeighbourAgreement()
    {
        // Many anchors, mild noise: every kind identifies every held-out anchor, as on real encoder pairs.
        var rng = Synthetic.Rng(77);
        var anchors = Synthetic.Pairs(rng, 900, Synthetic.Orthogonal(rng, 16), noise: 0.1);
        var result = MapPipeline.Run(anchors, Auto([MapKind.Orthogonal, MapKind.CanonicalQ, MapKind.Affine]));

        var selection = result.Report.AutoSelection!;
        var best = selection.Candidates.Max(c => c.Score!.Value);
        var tied = selection.Candidates.Where(c => c.Score == best).ToList();
        Assert.True(tied.Count > 1, "the synthetic pair should saturate identification for several kinds");
        var expected = tied.OrderByDescending(c => c.HeldOutNeighbourRecallAt10!.Value).First();
        Assert.Equal(expected.Kind, selection.Chosen);
        Assert.Contains("neighbourhood agreement@10", selection.Reason, StringComparison.Ordinal);
    }
}
