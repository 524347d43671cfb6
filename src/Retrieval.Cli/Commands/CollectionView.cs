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

        var table = new Table().AddColumns("space", "dimension", "metric", "model", "index", "memory");
        foreach (var s in collection.Spaces)
        {
            // What the vector memory budget counts for the space (rows, index, kept tokens).
            var memory = collection.SpaceMemory.FirstOrDefault(m => m.Space == s.Name);
            table.AddRow(
                Markup.Escape(s.Name), s.Dimension.ToString(CultureInfo.InvariantCulture), s.Metric.ToString(), Markup.Escape($"{s.Model?.Name} {s.Model?.Version}"),
                s.Index.Length == 0 ? "exact" : Markup.Escape(s.Index), memory is null ? "-" : Bytes(memory.TotalBytes));
        }

        AnsiConsole.Write(table);
    }

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):F2} GiB"),
    };
}
