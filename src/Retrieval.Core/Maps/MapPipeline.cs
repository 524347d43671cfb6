using System.Globalization;
using Retrieval.Core.Errors;

namespace Retrieval.Core.Maps;

/// <summary>
/// Split → fit → evaluate: the whole of a map fit as the registry runs it. Deterministic for a given seed.
/// </summary>
public static class MapPipeline
{
    /// <summary>Below this many fit anchors per new dimension the report warns that the map may overfit.</summary>
    public const int RecommendedAnchorsPerDimension = 4;

    /// <summary>
    /// Splits <paramref name="anchors"/> by <see cref="MapFitOptions.HeldOutFraction"/> and <see cref="MapFitOptions.Seed"/>,
    /// fits on the fit share, measures on the held-out share and, when given, on <paramref name="evaluation"/>.
    /// An external map is not fitted: all anchors are held out to measure it. <see cref="MapKind.Auto"/> goes to
    /// <see cref="AutoMapSelector"/>, which comes back here with the kind it chose.
    /// </summary>
    /// <exception cref="RetrievalException">InvalidArgument for too few anchors (field <c>anchors</c>), mismatched dimensions and bad options.</exception>
    public static MapFitResult Run(AnchorSet anchors, MapFitOptions options, EvaluationSet? evaluation = null)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(options);
        if (evaluation is not null && (evaluation.NewDimension != anchors.NewDimension || evaluation.OldDimension != anchors.OldDimension))
        {
            throw RetrievalException.Invalid(FieldPath.Of("evaluation"), $"evaluation set is {evaluation.NewDimension}→{evaluation.OldDimension}, anchors are {anchors.NewDimension}→{anchors.OldDimension}");
        }

        if (options.Kind == MapKind.TwoSided)
        {
            throw RetrievalException.Invalid(FieldPath.Of("jointSpace"), "a two-sided map is fitted as a pair into a joint space: name the joint space (TwoSidedPipeline)");
        }

        if (options.Kind == MapKind.Auto)
        {
            return AutoMapSelector.Run(anchors, options, evaluation);
        }

        var warnings = new List<string>();
        var external = options.Kind == MapKind.External;
        var split = external ? new AnchorSplit(anchors.Select([]), anchors) : anchors.Split(options.HeldOutFraction, options.Seed);
        if (!external)
        {
            var needed = anchors.NewDimension;
            if (split.Fit.Count < needed)
            {
                throw RetrievalException.Invalid(FieldPath.Of("anchors"), string.Create(CultureInfo.InvariantCulture, $"{split.Fit.Count} fit anchors ({anchors.Count} given, {split.HeldOut.Count} held out) are fewer than the new dimension {needed}"));
            }

            if (split.Fit.Count < RecommendedAnchorsPerDimension * needed)
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture, $"only {split.Fit.Count} fit anchors for new dimension {needed} (fewer than {RecommendedAnchorsPerDimension}× = {RecommendedAnchorsPerDimension * needed}); the map may overfit"));
            }
        }

        var map = MapFitter.Fit(split.Fit, options);
        (double R1, double R10, double Cosine)? heldOut = null;
        if (split.HeldOut.Count > 0)
        {
            heldOut = MapEvaluator.HeldOut(map, split.HeldOut, options.TargetMetric);
        }
        else
        {
            warnings.Add("no anchors held out: identification recall and mean cosine not measured");
        }

        var scores = evaluation is null ? null : MapEvaluator.Evaluate(map, evaluation, options.TargetMetric);
        var gate = MapEvaluator.Gate(scores, options.GateMetric);
        if (gate == GateOutcome.Failed && scores is not null)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"compatibility gate failed: mapped new→old {options.GateMetric} {scores.NewToOldMapped.Get(options.GateMetric):F4} < old→old {scores.OldToOld.Get(options.GateMetric):F4}"));
        }

        var report = new MapReport
        {
            Kind = map.Kind,
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
        };
        return new MapFitResult(map, report);
    }
}
