using System.Globalization;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;

namespace Retrieval.Core.Maps;

/// <summary>Both maps of a two-sided fit, each with its own report (they share the figures of the pair).</summary>
public sealed record TwoSidedFitResult(MapFitResult Query, MapFitResult Gallery);

/// <summary>
/// Split → choose the regularization → fit → evaluate, for a <see cref="MapKind.TwoSided"/> pair, with the same split,
/// held-out figures, evaluation scores and gate as <see cref="MapPipeline"/>. The pair's evaluation is the joint route:
/// new-model queries through the query map against the old gallery through the gallery map; the one-sided peer
/// (canonical-Q on the same fit anchors, searching the old gallery) is measured on the same queries beside it.
/// </summary>
public static class TwoSidedPipeline
{
    /// <summary>Fits and evaluates a pair. Deterministic for a given seed.</summary>
    /// <exception cref="RetrievalException">InvalidArgument for too few anchors, a bad joint dimension or regularization, mismatched evaluation set.</exception>
    public static TwoSidedFitResult Run(AnchorSet anchors, MapFitOptions options, TwoSidedOptions twoSided, EvaluationSet? evaluation = null)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(twoSided);
        if (evaluation is not null && (evaluation.NewDimension != anchors.NewDimension || evaluation.OldDimension != anchors.OldDimension))
        {
            throw RetrievalException.Invalid(FieldPath.Of("evaluation"), $"evaluation set is {evaluation.NewDimension}→{evaluation.OldDimension}, anchors are {anchors.NewDimension}→{anchors.OldDimension}");
        }

        if (twoSided.Regularization is { } requested)
        {
            TwoSidedFitter.RequireRegularization(requested);
        }

        var split = anchors.Split(options.HeldOutFraction, options.Seed);
        var warnings = new List<string>();
        var needed = Math.Max(anchors.NewDimension, anchors.OldDimension);
        if (split.Fit.Count < MapPipeline.RecommendedAnchorsPerDimension * needed)
        {
            warnings.Add(Inv($"only {split.Fit.Count} fit anchors for dimension {needed} (fewer than {MapPipeline.RecommendedAnchorsPerDimension}× = {MapPipeline.RecommendedAnchorsPerDimension * needed}); the covariances may overfit"));
        }

        var (pair, regularization, choice, candidates) = Choose(split.Fit, options, twoSided, evaluation);
        if (choice == RegularizationChoice.Fallback)
        {
            warnings.Add(Inv($"no evaluation queries: regularization {regularization:G3} was not chosen on queries; the best value differs by model pair (10⁻³ to 1 measured), so give evaluation queries or a jointRegularization"));
        }

        (double R1, double R10, double Cosine)? heldOut = null;
        if (split.HeldOut.Count > 0)
        {
            var joint = new AnchorSet(split.HeldOut.New, anchors.NewDimension, pair.Gallery.ApplyBatch(split.HeldOut.Old, split.HeldOut.Count), twoSided.JointDimension);
            heldOut = MapEvaluator.HeldOut(pair.Query, joint, twoSided.JointMetric);
        }
        else
        {
            warnings.Add("no anchors held out: identification recall and mean cosine not measured");
        }

        EvaluationScores? scores = null;
        RetrievalScores? oneSided = null;
        if (evaluation is not null)
        {
            var peer = MapFitter.Fit(split.Fit, options with { Kind = MapKind.CanonicalQ });
            var peerScores = MapEvaluator.Evaluate(peer, evaluation, options.TargetMetric);
            oneSided = peerScores.NewToOldMapped;
            scores = peerScores with { NewToOldMapped = JointScores(pair, evaluation, twoSided.JointMetric) };
            if (scores.NewToOldMapped.Get(options.GateMetric) < oneSided.Get(options.GateMetric))
            {
                warnings.Add(Inv($"the joint route ({options.GateMetric} {scores.NewToOldMapped.Get(options.GateMetric):F4}) is below the one-sided canonical-Q map ({oneSided.Get(options.GateMetric):F4}) on these queries; re-projecting the gallery would not pay"));
            }
        }

        var gate = MapEvaluator.Gate(scores, options.GateMetric);
        if (gate == GateOutcome.Failed && scores is not null)
        {
            warnings.Add(Inv($"compatibility gate failed: joint route {options.GateMetric} {scores.NewToOldMapped.Get(options.GateMetric):F4} < old→old {scores.OldToOld.Get(options.GateMetric):F4}"));
        }

        var shared = new TwoSidedReport
        {
            Role = TwoSidedRole.Query,
            JointDimension = twoSided.JointDimension,
            Regularization = regularization,
            RegularizationChosenBy = choice,
            Candidates = candidates,
            CanonicalCorrelations = pair.CanonicalCorrelations,
            OneSided = oneSided,
        };
        MapReport Report(CompatibilityMap map, TwoSidedRole role) => new()
        {
            Kind = MapKind.TwoSided,
            FitAnchors = split.Fit.Count,
            HeldOutAnchors = split.HeldOut.Count,
            Warnings = warnings,
            IdentificationRecallAt1 = heldOut?.R1,
            IdentificationRecallAt10 = heldOut?.R10,
            MeanCosine = heldOut?.Cosine,
            OrthogonalityError = MapEvaluator.OrthogonalityError(map),
            Evaluation = scores,
            GateMetric = options.GateMetric,
            Gate = gate,
            TwoSided = shared with { Role = role },
        };

        return new TwoSidedFitResult(
            new MapFitResult(pair.Query, Report(pair.Query, TwoSidedRole.Query)),
            new MapFitResult(pair.Gallery, Report(pair.Gallery, TwoSidedRole.Gallery)));
    }

    /// <summary>
    /// The joint route on an evaluation set: each new-model query through the query map, each gallery item's old vector
    /// through the gallery map, ranked in the joint space with <paramref name="metric"/>.
    /// </summary>
    public static RetrievalScores JointScores(TwoSidedPair pair, EvaluationSet evaluation, Metric metric)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(evaluation);
        var queries = pair.Query.ApplyBatch(evaluation.NewQueries, evaluation.QueryCount);
        var gallery = pair.Gallery.ApplyBatch(evaluation.Gallery, evaluation.GalleryCount);
        return RankingEvaluator.Evaluate(queries, gallery, pair.Query.OutputDimension, evaluation.RelevantArray, metric);
    }

    /// <summary>
    /// The regularization: as requested; else the candidate whose joint route scores best on the evaluation queries (ties
    /// to the earlier candidate); else the fallback. Held-out anchors cannot choose it: their identification is saturated
    /// at every value tried while query recall moves by a factor of three (docs/benchmarks.md).
    /// </summary>
    private static (TwoSidedPair Pair, double Regularization, RegularizationChoice Choice, IReadOnlyList<RegularizationCandidate> Candidates) Choose(
        AnchorSet fit, MapFitOptions options, TwoSidedOptions twoSided, EvaluationSet? evaluation)
    {
        if (twoSided.Regularization is { } requested)
        {
            return (TwoSidedFitter.Fit(fit, twoSided.JointDimension, requested, twoSided.JointMetric), requested, RegularizationChoice.Requested, []);
        }

        if (evaluation is null || twoSided.Candidates.Count == 0)
        {
            var fallback = TwoSidedOptions.FallbackRegularization;
            return (TwoSidedFitter.Fit(fit, twoSided.JointDimension, fallback, twoSided.JointMetric), fallback, RegularizationChoice.Fallback, []);
        }

        var tried = new List<RegularizationCandidate>(twoSided.Candidates.Count);
        TwoSidedPair? best = null;
        var bestScore = double.NegativeInfinity;
        var bestValue = 0d;
        foreach (var candidate in twoSided.Candidates)
        {
            TwoSidedFitter.RequireRegularization(candidate);
            var pair = TwoSidedFitter.Fit(fit, twoSided.JointDimension, candidate, twoSided.JointMetric);
            var score = JointScores(pair, evaluation, twoSided.JointMetric).Get(options.GateMetric);
            tried.Add(new RegularizationCandidate(candidate, score));
            if (score > bestScore)
            {
                (best, bestScore, bestValue) = (pair, score, candidate);
            }
        }

        return (best!, bestValue, RegularizationChoice.EvaluationQueries, tried);
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
