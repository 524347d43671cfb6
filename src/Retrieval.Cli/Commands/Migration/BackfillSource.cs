using System.Globalization;
using System.Text.Json;
using Retrieval.Core.Formats;

namespace Retrieval.Cli.Commands.Migration;

/// <summary>Rows of new-space vectors with their item ids, from a .npy (ids from a file or a prefix) or a JSONL file.</summary>
internal sealed class BackfillSource
{
    private readonly Func<int, IEnumerable<BackfillRow>> _rows;

    private BackfillSource(int count, Func<int, IEnumerable<BackfillRow>> rows)
    {
        Count = count;
        _rows = rows;
    }

    /// <summary>One row: its number in the file, the item id and the vector.</summary>
    public readonly record struct BackfillRow(int Row, string Id, float[] Vector);

    public int Count { get; }

    /// <summary>Rows from <paramref name="start"/> on, in file order.</summary>
    public IEnumerable<BackfillRow> Rows(int start) => _rows(start);

    public static BackfillSource Open(string path, string? idsPath, string idPrefix)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no such file: {path}", path);
        }

        if (Path.GetExtension(path).Equals(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            var count = File.ReadLines(path).Count(l => !string.IsNullOrWhiteSpace(l));
            return new BackfillSource(count, start => File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).Select(ParseLine).Skip(start));
        }

        var matrix = NpyFile.ReadMatrix(path);
        string[]? ids = null;
        if (idsPath is not null)
        {
            ids = File.ReadLines(idsPath).Where(l => l.Length > 0).ToArray();
            if (ids.Length != matrix.Rows)
            {
                throw new FormatException($"{idsPath} has {ids.Length} ids for {matrix.Rows} rows of {path}");
            }
        }

        return new BackfillSource(matrix.Rows, start => Enumerable.Range(start, Math.Max(0, matrix.Rows - start)).Select(row =>
            new BackfillRow(row, ids?[row] ?? idPrefix + row.ToString(CultureInfo.InvariantCulture), matrix.Row(row).ToArray())));
    }

    private static BackfillRow ParseLine(string line, int row)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        if (!root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || !root.TryGetProperty("vector", out var vector) || vector.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"line {row + 1}: expected {{\"id\": \"...\", \"vector\": [...]}}");
        }

        return new BackfillRow(row, id.GetString()!, vector.EnumerateArray().Select(v => v.GetSingle()).ToArray());
    }
}
