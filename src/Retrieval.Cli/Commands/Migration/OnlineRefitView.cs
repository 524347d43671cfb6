using System.Globalization;
using Retrieval.Contracts.V1;
using Spectre.Console;

namespace Retrieval.Cli.Commands.Migration;

/// <summary>Prints a migration's online refit (issue 18): map version, held-out figures, next refit, and every refit.</summary>
internal static class OnlineRefitView
{
    public static void AddRows(Table table, OnlineRefitStatus? refit)
    {
        if (refit is null)
        {
            return;
        }

        table.AddRow("map version", Markup.Escape($"v{refit.MapVersion} ({refit.MapId})"));
        table.AddRow("refit pairs: statistics / held out / reservoir", Inv($"{refit.StatisticsPairs:N0} / {refit.HeldOutPairs:N0} / {refit.ReservoirPairs:N0}"));
        if (refit.Serving is { } serving)
        {
            table.AddRow("serving map, held out", Markup.Escape(Figures(serving)));
        }

        var next = Inv($"at {refit.NextRefitAtPairs:N0} pairs");
        if (refit.NextRefitAt is { } at)
        {
            next += Inv($" or after {at.ToDateTimeOffset():u} once a pair arrives");
        }

        table.AddRow("next refit", Markup.Escape(next));
    }

    public static void RenderRefits(OnlineRefitStatus? refit)
    {
        if (refit is not { Refits.Count: > 0 })
        {
            return;
        }

        var table = new Table().AddColumns("at", "version", "promoted", "fit pairs", "held out", "candidate", "serving", "seconds", "reason");
        foreach (var r in refit.Refits)
        {
            table.AddRow(
                Markup.Escape($"{r.At?.ToDateTimeOffset():u}"),
                Markup.Escape(string.IsNullOrEmpty(r.MapId) ? Inv($"v{r.Version}") : Inv($"v{r.Version} {r.MapId}")),
                r.Promoted ? "yes" : "no",
                Inv($"{r.FitPairs:N0}"),
                Inv($"{r.HeldOutPairs:N0}"),
                Inv($"{r.Candidate?.Score:F4}"),
                Inv($"{r.Serving?.Score:F4}"),
                Inv($"{r.Seconds:F2}"),
                Markup.Escape(r.Reason));
        }

        AnsiConsole.Write(table);
    }

    private static string Figures(HeldOutFigures f) =>
        Inv($"score {f.Score:F4}: identification R@1 {f.IdentificationRecallAt1:F4}, R@10 {f.IdentificationRecallAt10:F4}, neighbour R@10 {f.NeighbourRecallAt10:F4}, mean cosine {f.MeanCosine:F4}");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
