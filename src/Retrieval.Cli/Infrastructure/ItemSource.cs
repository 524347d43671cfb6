using System.Globalization;
using Google.Protobuf;
using Retrieval.Contracts.V1;
using Retrieval.Core.Formats;

namespace Retrieval.Cli.Infrastructure;

/// <summary>Items read from an ingest file: vector matrices become items with generated ids; JSONL holds items.</summary>
internal sealed class ItemSource
{
    private readonly Func<IEnumerable<Item>> _items;

    private ItemSource(int count, Func<IEnumerable<Item>> items)
    {
        Count = count;
        _items = items;
    }

    public int Count { get; }

    public IEnumerable<Item> Items() => _items();

    public static ItemSource Open(string path, string? format, string space, string idPrefix)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no such file: {path}", path);
        }

        format ??= Path.GetExtension(path).TrimStart('.').ToLowerInvariant();
        switch (format)
        {
            case "npy":
                return FromMatrix(NpyFile.ReadMatrix(path), space, idPrefix);
            case "fvecs":
                return FromMatrix(FvecsFormat.Read(path), space, idPrefix);
            case "jsonl" or "ndjson" or "json":
                var lines = File.ReadLines(path).Count(l => !string.IsNullOrWhiteSpace(l));
                return new ItemSource(lines, () => File.ReadLines(path)
                    .Where(l => !string.IsNullOrWhiteSpace(l))
                    .Select(l => JsonParser.Default.Parse<Item>(l)));
            default:
                throw new FormatException($"unknown format '{format}': use npy, fvecs or jsonl");
        }
    }

    private static ItemSource FromMatrix(VectorMatrix matrix, string space, string idPrefix) =>
        new(matrix.Rows, () => Enumerable.Range(0, matrix.Rows).Select(row =>
        {
            var item = new Item { Id = idPrefix + row.ToString(CultureInfo.InvariantCulture) };
            var vector = new Vector();
            vector.Values.Add(matrix.Row(row).ToArray());
            item.Vectors.Add(space, vector);
            return item;
        }));
}
