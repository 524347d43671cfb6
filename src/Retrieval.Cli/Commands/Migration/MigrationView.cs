using System.Globalization;
using Retrieval.Contracts.V1;
using Spectre.Console;

namespace Retrieval.Cli.Commands.Migration;

/// <summary>Prints a migration: phase, spaces, maps, calibration, progress and (when present) its audit trail.</summary>
internal static class MigrationView
{
    public static void Render(Contracts.V1.Migration migration)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{migration.Id}[/]: {migration.Collection} {migration.FromSpace} → {migration.ToSpace}, phase [bold]{Phase(migration.Phase)}[/]");
        var table = new Table().AddColumns("field", "value");
        table.AddRow("map (new → old)", Or(migration.MapId));
        table.AddRow("inverse map (old → new)", Or(migration.InverseMapId));
        table.AddRow("encoder", Or(migration.Encoder, "client supplies new vectors"));
        table.AddRow("anchors", N(migration.Anchors));
        if (migration.Calibration is { } c)
        {
            table.AddRow("calibration", string.Create(CultureInfo.InvariantCulture, $"native ≈ {c.Scale:F4} · mapped + {c.Offset:F4} (r = {c.Correlation:F3}, {c.Pairs} pairs)"));
        }

        if (migration.Evaluation is { } report)
        {
            table.AddRow("gate", Markup.Escape($"{report.Gate} ({report.GateMetric}): {report.GateReason}"));
        }

        if (IsEnded(migration.Phase))
        {
            // A closed migration has no live figures: the server sends those recorded when it ended, if it recorded them.
            table.AddRow("ended", Markup.Escape($"{Phase(migration.Phase)} at {migration.UpdatedAt?.ToDateTimeOffset():u}"
                + (migration.Progress is null ? "; progress was not recorded" : "; progress below is as it was then")));
        }

        if (migration.Progress is { } p)
        {
            table.AddRow("items", N(p.TotalItems));
            table.AddRow("native new vectors", string.Create(CultureInfo.InvariantCulture, $"{p.NativeItems:N0} ({p.Fraction:P1})"));
            table.AddRow("derived new vectors", N(p.DerivedItems));
            table.AddRow("missing new vectors", N(p.MissingNewItems));
            if (!string.IsNullOrEmpty(migration.Encoder))
            {
                table.AddRow(Markup.Escape($"re-encoded by '{migration.Encoder}'; left for the client"), N(p.LeftForClientItems));
            }
        }

        table.AddRow("backfilled / mapped on write / derived on write", $"{N(migration.Backfilled)} / {N(migration.MappedOnWrite)} / {N(migration.DerivedOnWrite)}");
        table.AddRow("client checkpoint / worker cursor", Markup.Escape($"{Or(migration.ClientCheckpoint)} / {Or(migration.WorkerCursor)}"));
        table.AddRow("last change", Markup.Escape($"{migration.UpdatedAt?.ToDateTimeOffset():u} by {migration.ChangedBy}"));
        OnlineRefitView.AddRows(table, migration.Refit);
        AnsiConsole.Write(table);
        OnlineRefitView.RenderRefits(migration.Refit);

        if (migration.Events.Count > 0)
        {
            var events = new Table().AddColumns("at", "from", "to", "by", "note");
            foreach (var e in migration.Events)
            {
                events.AddRow(Markup.Escape($"{e.At?.ToDateTimeOffset():u}"), Phase(e.FromPhase), Phase(e.ToPhase), Markup.Escape(e.Actor), Markup.Escape(e.Note));
            }

            AnsiConsole.Write(events);
        }
    }

    /// <summary>Rolled back or retired: the migration is closed and its progress is the one recorded at the end.</summary>
    public static bool IsEnded(MigrationPhase phase) => phase is MigrationPhase.RolledBack or MigrationPhase.Retired;

    public static string Phase(MigrationPhase phase) => phase switch
    {
        MigrationPhase.Unspecified => "–",
        MigrationPhase.CutOver => "cut_over",
        MigrationPhase.RolledBack => "rolled_back",
        _ => phase.ToString().ToLowerInvariant(),
    };

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Or(string value, string empty = "–") => string.IsNullOrEmpty(value) ? empty : value;
}
