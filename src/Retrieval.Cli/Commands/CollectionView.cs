using System.Globalization;
using Retrieval.Contracts.V1;
using Spectre.Console;

namespace Retrieval.Cli.Commands;

internal static class CollectionView
{
    public static void Render(Collection collection)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{collection.Name}[/]: {collection.ItemCount:N0} items, default space [bold]{collection.DefaultSpace}[/], {Math.Max(1, collection.Shards)} {(collection.Shards > 1 ? "shards" : "shard")}");
        if (collection.Aliases.Count > 0)
        {
            AnsiConsole.MarkupLineInterpolated($"aliases: {string.Join(", ", collection.Aliases)}");
        }

        var table = new Table().AddColumns("space", "dimension", "metric", "model", "index");
        foreach (var s in collection.Spaces)
        {
            table.AddRow(
                Markup.Escape(s.Name), s.Dimension.ToString(CultureInfo.InvariantCulture), s.Metric.ToString(), Markup.Escape($"{s.Model?.Name} {s.Model?.Version}"),
                s.Index.Length == 0 ? "exact" : Markup.Escape(s.Index));
        }

        AnsiConsole.Write(table);
    }
}
