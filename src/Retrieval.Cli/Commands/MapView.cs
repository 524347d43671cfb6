using System.Globalization;
using Retrieval.Contracts.V1;
using Spectre.Console;

namespace Retrieval.Cli.Commands;

/// <summary>Prints a compatibility map and its fit report as tables.</summary>
internal static class MapView
{
    public static void Render(CompatibilityMap map)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{map.Id}[/]: {map.Kind} map {map.FromSpace} → {map.ToSpace}, {map.State}");
        var report = map.Report ?? new MapReport();
        var table = new Table().AddColumns("report", "value");
        table.AddRow("fit anchors", report.FitAnchors.ToString(CultureInfo.InvariantCulture));
        table.AddRow("held-out anchors", report.HeldOutAnchors.ToString(CultureInfo.InvariantCulture));
        table.AddRow("identification recall@1", Optional(report.HasIdentificationRecallAt1, report.IdentificationRecallAt1));
        table.AddRow("identification recall@10", Optional(report.HasIdentificationRecallAt10, report.IdentificationRecallAt10));
        table.AddRow("mean cosine", Optional(report.HasMeanCosine, report.MeanCosine));
        table.AddRow("orthogonality error", report.OrthogonalityError.ToString("G4", CultureInfo.InvariantCulture));
        table.AddRow("gate", Markup.Escape($"{report.Gate} ({report.GateMetric}): {report.GateReason}"));
        AnsiConsole.Write(table);

        if (report.Evaluation is { } evaluation)
        {
            var scores = new Table().AddColumns("setting", "recall@1", "recall@10", "mAP@10");
            AddScores(scores, "old → old", evaluation.OldToOld);
            AddScores(scores, "new → old unmapped", evaluation.NewToOldUnmapped);
            AddScores(scores, "new → old mapped", evaluation.NewToOldMapped);
            AddScores(scores, "new → new", evaluation.NewToNew);
            AnsiConsole.Write(scores);
        }

        if (report.AutoSelection is { } selection)
        {
            RenderAutoSelection(selection);
        }

        if (report.TwoSided is { } twoSided)
        {
            RenderTwoSided(twoSided, report.Evaluation);
        }

        foreach (var warning in report.Warnings)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        }
    }

    /// <summary>The candidate table of an automatic fit: every kind tried, its cross-validated figures, and the choice.</summary>
    private static void RenderAutoSelection(AutoSelection selection)
    {
        AnsiConsole.MarkupLineInterpolated(
            $"[bold]automatic choice[/]: {selection.Chosen} ({selection.Folds}-fold cross-validation, budget {selection.BudgetSeconds.ToString("G4", CultureInfo.InvariantCulture)} s)");
        var table = new Table().AddColumns("candidate", "outcome", "held-out recall@10", "evaluation recall@10", "score", "neighbour agreement@10", "fit s", "reason");
        foreach (var candidate in selection.Candidates)
        {
            table.AddRow(
                Markup.Escape(candidate.Kind.ToString() + (candidate.Kind == selection.Chosen ? " *" : "")),
                Markup.Escape(candidate.Outcome.ToString()),
                Optional(candidate.HasHeldOutRecallAt10, candidate.HeldOutRecallAt10),
                Optional(candidate.HasEvaluationRecallAt10, candidate.EvaluationRecallAt10),
                Optional(candidate.HasScore, candidate.Score),
                Optional(candidate.HasHeldOutNeighbourRecallAt10, candidate.HeldOutNeighbourRecallAt10),
                candidate.FitSeconds.ToString("F2", CultureInfo.InvariantCulture),
                Markup.Escape(candidate.Reason));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"chosen: {selection.Reason}");
    }

    /// <summary>A two-sided pair: its side, the joint space, how the regularization was chosen, the joint route beside the one-sided peer, and the cost.</summary>
    private static void RenderTwoSided(TwoSidedReport twoSided, MapEvaluationScores? evaluation)
    {
        AnsiConsole.MarkupLineInterpolated(
            $"[bold]two-sided[/] ({twoSided.Role} side, paired with {twoSided.PairedMapId}): joint space {twoSided.JointSpace} ({twoSided.JointDimension}-d), regularization {F(twoSided.Regularization)} ({twoSided.RegularizationChosenBy})");
        var table = new Table().AddColumns("figure", "value");
        if (twoSided.Candidates.Count > 0)
        {
            table.AddRow("regularizations tried (score)", Markup.Escape(string.Join(", ", twoSided.Candidates.Select(c => $"{c.Regularization.ToString("G3", CultureInfo.InvariantCulture)}: {F(c.Score)}"))));
        }

        var correlations = twoSided.CanonicalCorrelations;
        if (correlations.Count > 0)
        {
            table.AddRow("canonical correlations (first / median / last)", $"{F(correlations[0])} / {F(correlations[correlations.Count / 2])} / {F(correlations[^1])}");
        }

        if (evaluation is not null)
        {
            var old = evaluation.OldToOld?.RecallAt10 ?? 0;
            var joint = evaluation.NewToOldMapped?.RecallAt10 ?? 0;
            table.AddRow("recall@10 joint route (÷ old → old)", old > 0 ? $"{F(joint)} ({(joint / old).ToString("F2", CultureInfo.InvariantCulture)}×)" : F(joint));
            if (twoSided.OneSided is { } oneSided)
            {
                table.AddRow("recall@10 one-sided canonical-Q (÷ old → old)", old > 0 ? $"{F(oneSided.RecallAt10)} ({(oneSided.RecallAt10 / old).ToString("F2", CultureInfo.InvariantCulture)}×)" : F(oneSided.RecallAt10));
            }
        }

        if (twoSided.Cost is { } cost)
        {
            table.AddRow("re-projection cost per million vectors", $"{cost.SecondsPerMillion.ToString("F1", CultureInfo.InvariantCulture)} s, {cost.CpuSecondsPerMillion.ToString("F1", CultureInfo.InvariantCulture)} CPU-s (measured on {cost.Vectors.ToString(CultureInfo.InvariantCulture)} stored vectors; no model inference)");
        }

        AnsiConsole.Write(table);
    }

    private static string Optional(bool present, double value) =>
        present ? value.ToString("F4", CultureInfo.InvariantCulture) : "–";

    private static void AddScores(Table table, string setting, RetrievalScores? scores)
    {
        if (scores is null)
        {
            table.AddRow(setting, "–", "–", "–");
            return;
        }

        table.AddRow(setting, F(scores.RecallAt1), F(scores.RecallAt10), F(scores.MapAt10));
    }

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
