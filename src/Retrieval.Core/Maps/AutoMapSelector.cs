using System.Diagnostics;
using System.Globalization;
using Retrieval.Core.Errors;

namespace Retrieval.Core.Maps;

/// <summary>
/// <see cref="MapKind.Auto"/>: chooses a map kind by k-fold cross-validation and fits it.
/// <list type="number">
/// <item>The anchors are split exactly as <see cref="MapPipeline"/> splits them; the report's held-out anchors take no part
/// in the choice, so the chosen map's held-out figures stay an honest estimate.</item>
/// <item>The fit share is cut into <see cref="AutoMapOptions.Folds"/> seeded folds. Each candidate is fitted on all folds
/// but one and scored on that one: for each of its anchors, is its own old vector in the top 10 of the mapped new vector
/// among the fold's old vectors (held-out identification recall@10)? With an evaluation set, each fold's map is also
/// scored on the operator's queries (mapped new→old recall@10) and the score is the mean of the two. Each fold also
/// measures neighbourhood agreement (<see cref="MapEvaluator.NeighbourAgreement"/>): each held-out anchor's mapped vector
/// searches the training anchors' old vectors for the 10 training anchors nearest to it in the new space.</item>
/// <item>The highest mean score wins. Identification saturates on real encoder pairs (every centred kind finds every
/// held-out anchor), so a tie goes to the highest neighbourhood agreement, and a tie on both to the candidate listed
/// first (the simpler one). Agreement is the tiebreak, not the score: on its own it prefers λ-orthogonal over canonical-Q
/// on fastText skip-gram→CBOW, where canonical-Q is clearly better on real queries (docs/benchmarks.md).</item>
/// <item>The winner is fitted on the whole fit share by <see cref="MapPipeline"/>, and the candidate table joins its report.</item>
/// </list>
/// Deterministic for a given seed as long as no time limit cuts a candidate short.
/// </summary>
public static class AutoMapSelector
{
    /// <summary>Chooses, fits and evaluates; <paramref name="options"/>' kind must be <see cref="MapKind.Auto"/>.</summary>
    /// <exception cref="RetrievalException">
    /// InvalidArgument for bad auto options (fields <c>autoBudgetSeconds</c>, <c>kind</c>), too few anchors, or when no
    /// candidate could be fitted (field <c>anchors</c>, with each candidate's reason).
    /// </exception>
    public static MapFitResult Run(AnchorSet anchors, MapFitOptions options, EvaluationSet? evaluation = null)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(options);
        var auto = options.Auto;
        Validate(auto);
        var fit = anchors.Split(options.HeldOutFraction, options.Seed).Fit;
        if (fit.Count < auto.Folds)
        {
            throw RetrievalException.Invalid(FieldPath.Of("anchors"), string.Create(CultureInfo.InvariantCulture, $"{fit.Count} fit anchors cannot be cut into {auto.Folds} folds"));
        }

        var folds = Folds(fit, auto.Folds, options.Seed);
        var watch = Stopwatch.StartNew();
        var rows = new List<AutoCandidateReport>(auto.Candidates.Count);
        foreach (var kind in auto.Candidates)
        {
            var left = auto.BudgetSeconds - watch.Elapsed.TotalSeconds;
            if (rows.Count > 0 && left <= 0)
            {
                rows.Add(new AutoCandidateReport
                {
                    Kind = kind,
                    Outcome = AutoCandidateOutcome.SkippedForBudget,
                    FitSeconds = 0,
                    Reason = string.Create(CultureInfo.InvariantCulture, $"the {auto.BudgetSeconds:G4} s budget was spent after {watch.Elapsed.TotalSeconds:F2} s"),
                });
                continue;
            }

            rows.Add(CrossValidate(kind, folds, options, evaluation, rows.Count == 0 ? double.PositiveInfinity : left));
        }

        var scored = rows.Where(r => r.Outcome == AutoCandidateOutcome.Scored).ToList();
        if (scored.Count == 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("anchors"), "no candidate map kind could be fitted: " + string.Join("; ", rows.Select(r => $"{Name(r.Kind)}: {r.Reason}")));
        }

        // Max by score, then by neighbourhood agreement, then first listed: OrderBy is stable.
        var winner = scored.OrderByDescending(r => r.Score!.Value).ThenByDescending(r => r.HeldOutNeighbourRecallAt10!.Value).First();
        var result = MapPipeline.Run(anchors, options with { Kind = winner.Kind }, evaluation);
        var selection = new AutoSelectionReport
        {
            Chosen = winner.Kind,
            Folds = auto.Folds,
            BudgetSeconds = auto.BudgetSeconds,
            Candidates = rows,
            Reason = Explain(winner, scored, evaluation is not null, auto.Folds),
        };
        return result with { Report = result.Report with { AutoSelection = selection } };
    }

    private static void Validate(AutoMapOptions auto)
    {
        if (!(auto.BudgetSeconds >= 0) || double.IsPositiveInfinity(auto.BudgetSeconds))
        {
            throw RetrievalException.Invalid(FieldPath.Of("autoBudgetSeconds"), "must be finite and ≥ 0");
        }

        if (auto.Folds < 2)
        {
            throw RetrievalException.Invalid(FieldPath.Of("autoFolds"), "must be at least 2");
        }

        if (auto.Candidates.Count == 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("kind"), "an automatic choice needs at least one candidate kind");
        }

        foreach (var kind in auto.Candidates)
        {
            if (kind is MapKind.Auto or MapKind.External or MapKind.Composed or MapKind.TwoSided || !Enum.IsDefined(kind))
            {
                throw RetrievalException.Invalid(FieldPath.Of("kind"), $"{kind} cannot be a candidate of an automatic choice; only kinds fitted from anchors can");
            }
        }
    }

    /// <summary>
    /// Scores one kind on every fold. After each fold the time spent projects the rest; when the projection passes what is
    /// left of the budget, the candidate is abandoned as skipped-for-budget rather than overrunning it.
    /// </summary>
    private static AutoCandidateReport CrossValidate(MapKind kind, List<(AnchorSet Train, AnchorSet Test)> folds, MapFitOptions options, EvaluationSet? evaluation, double secondsLeft)
    {
        var watch = Stopwatch.StartNew();
        var heldOut = 0d;
        var agreement = 0d;
        var evaluated = 0d;
        for (var f = 0; f < folds.Count; f++)
        {
            var spent = watch.Elapsed.TotalSeconds;
            if (f > 0 && spent / f * folds.Count > secondsLeft)
            {
                return new AutoCandidateReport
                {
                    Kind = kind,
                    Outcome = AutoCandidateOutcome.SkippedForBudget,
                    FitSeconds = spent,
                    Reason = string.Create(CultureInfo.InvariantCulture, $"{f} of {folds.Count} folds took {spent:F2} s; all {folds.Count} would pass the {secondsLeft:F2} s left of the budget"),
                };
            }

            // The trained kinds stop at their share of the time left, keeping their best epoch so far.
            var share = (secondsLeft - spent) / (folds.Count - f);
            var foldOptions = options with
            {
                Kind = kind,
                Progress = null,
                Mlp = options.Mlp with { MaxSeconds = Math.Min(options.Mlp.MaxSeconds, share) },
                Adapter = options.Adapter with { MaxSeconds = Math.Min(options.Adapter.MaxSeconds, share) },
            };
            CompatibilityMap map;
            try
            {
                map = MapFitter.Fit(folds[f].Train, foldOptions);
            }
            catch (RetrievalException error)
            {
                return new AutoCandidateReport
                {
                    Kind = kind,
                    Outcome = AutoCandidateOutcome.Failed,
                    FitSeconds = watch.Elapsed.TotalSeconds,
                    Reason = string.Create(CultureInfo.InvariantCulture, $"fold {f + 1}: {error.Message}"),
                };
            }

            heldOut += MapEvaluator.HeldOut(map, folds[f].Test, options.TargetMetric).RecallAt10;
            agreement += MapEvaluator.NeighbourAgreement(map, folds[f].Test, folds[f].Train, options.TargetMetric);
            if (evaluation is not null)
            {
                evaluated += MapEvaluator.Evaluate(map, evaluation, options.TargetMetric).NewToOldMapped.RecallAt10;
            }
        }

        heldOut /= folds.Count;
        agreement /= folds.Count;
        double? evaluationRecall = evaluation is null ? null : evaluated / folds.Count;
        return new AutoCandidateReport
        {
            Kind = kind,
            Outcome = AutoCandidateOutcome.Scored,
            HeldOutRecallAt10 = heldOut,
            HeldOutNeighbourRecallAt10 = agreement,
            EvaluationRecallAt10 = evaluationRecall,
            Score = evaluationRecall is { } e ? (heldOut + e) / 2 : heldOut,
            FitSeconds = watch.Elapsed.TotalSeconds,
        };
    }

    /// <summary>(train, test) per fold: a seeded shuffle of the fit anchors dealt round-robin into <paramref name="k"/> folds.</summary>
    private static List<(AnchorSet Train, AnchorSet Test)> Folds(AnchorSet fit, int k, int seed)
    {
        var order = Enumerable.Range(0, fit.Count).ToArray();
        new Random(seed ^ 0x0F01D5).Shuffle(order);
        var folds = new List<(AnchorSet, AnchorSet)>(k);
        for (var f = 0; f < k; f++)
        {
            var test = new List<int>();
            var train = new List<int>();
            for (var i = 0; i < order.Length; i++)
            {
                (i % k == f ? test : train).Add(order[i]);
            }

            test.Sort();
            train.Sort();
            folds.Add((fit.Select(train), fit.Select(test)));
        }

        return folds;
    }

    private static string Explain(AutoCandidateReport winner, List<AutoCandidateReport> scored, bool withEvaluation, int folds)
    {
        var measure = withEvaluation
            ? "mean of held-out anchor recall@10 and evaluation recall@10"
            : "held-out anchor recall@10";
        var text = string.Create(CultureInfo.InvariantCulture, $"{Name(winner.Kind)} has the highest {measure} over {folds} folds, {winner.Score:F4}");
        var others = scored.Where(r => r != winner).ToList();
        if (others.Count == 0)
        {
            return text + "; it was the only candidate scored";
        }

        // A saturated score (every held-out anchor found) ties several kinds: name them with their neighbourhood
        // agreement, the figure that broke the tie, so the operator sees what decided.
        var tied = others.Where(r => r.Score == winner.Score).ToList();
        if (tied.Count > 0)
        {
            var figures = string.Join(", ", tied.Select(r => string.Create(CultureInfo.InvariantCulture, $"{Name(r.Kind)} {r.HeldOutNeighbourRecallAt10:F4}")));
            var agreement = string.Create(CultureInfo.InvariantCulture, $"{winner.HeldOutNeighbourRecallAt10:F4}");
            return tied.Any(r => r.HeldOutNeighbourRecallAt10 == winner.HeldOutNeighbourRecallAt10)
                ? $"{text}, tied with {string.Join(", ", tied.Select(r => Name(r.Kind)))}; its neighbourhood agreement@10 {agreement} ties too ({figures}), so the tie goes to the candidate listed first"
                : $"{text}, tied with {string.Join(", ", tied.Select(r => Name(r.Kind)))}; the tie goes to the highest held-out neighbourhood agreement@10 (new-space neighbours found through the map), {agreement} against {figures}";
        }

        var runnerUp = others.MaxBy(r => r.Score!.Value)!;
        return string.Create(CultureInfo.InvariantCulture, $"{text}, ahead of {Name(runnerUp.Kind)} at {runnerUp.Score:F4}");
    }

    /// <summary>The kind's wire-style name (canonical_q, residual_mlp, …), as reports and logs spell it.</summary>
    private static string Name(MapKind kind) => kind switch
    {
        MapKind.CanonicalQ => "canonical_q",
        MapKind.LambdaOrthogonal => "lambda_orthogonal",
        MapKind.OrthogonalExtend => "orthogonal_extend",
        MapKind.ResidualMlp => "residual_mlp",
        MapKind.RankingAdapter => "ranking_adapter",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
