using Retrieval.Core.Formats;
using Retrieval.Core.MultiVector;

namespace Retrieval.Benchmarks.MultiVector;

/// <summary>
/// A multi-vector benchmark set: either the MiniLM token outputs (<see cref="MiniLmTokenCache"/>) or, as here, the
/// multi-vector form of <c>shared/data/wordnet-fasttext</c>: item i = rows T[ids[off[i]..off[i+1]]] of the
/// L2-normalised word-vector table T (repeats kept), likewise for queries (see the folder's README).
/// Items or queries left without tokens are dropped (they have no multi-vector); <see cref="ItemRows"/> maps back.
/// </summary>
internal sealed class WordNetMultiVectors
{
    internal WordNetMultiVectors(List<TokenMatrix> items, List<int> itemRows, List<TokenMatrix> queries, int dimension)
    {
        Items = items;
        ItemRows = itemRows;
        Queries = queries;
        Dimension = dimension;
    }

    public IReadOnlyList<TokenMatrix> Items { get; }

    /// <summary>Row in <c>items.jsonl</c> of each entry of <see cref="Items"/>.</summary>
    public IReadOnlyList<int> ItemRows { get; }

    public IReadOnlyList<TokenMatrix> Queries { get; }

    public int Dimension { get; }

    public long ItemTokenCount => Items.Sum(i => (long)i.Count);

    /// <summary>
    /// <paramref name="model"/> <c>minilm</c> (or <c>minilm:N</c>, the first N items) reads the MiniLM token cache in
    /// <paramref name="folder"/> (<see cref="MiniLmTokenCache.DefaultFolder"/> when null); any other name reads the
    /// fastText multi-vectors <c>{model}.wordvecs.npy</c> of <c>shared/data/wordnet-fasttext</c> (the default folder).
    /// </summary>
    public static WordNetMultiVectors LoadNamed(string model, string? folder)
    {
        if (model.StartsWith("minilm-docs", StringComparison.Ordinal))
        {
            var first = model.Contains(':', StringComparison.Ordinal) ? int.Parse(model[(model.IndexOf(':', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture) : int.MaxValue;
            return MiniLmTokenCache.Load(folder ?? MiniLmDocuments.DefaultFolder, first);
        }

        if (model.StartsWith("minilm", StringComparison.Ordinal))
        {
            var limit = model.Contains(':', StringComparison.Ordinal) ? int.Parse(model[(model.IndexOf(':', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture) : int.MaxValue;
            return MiniLmTokenCache.Load(folder ?? MiniLmTokenCache.DefaultFolder, limit);
        }

        return Load(folder ?? "/work/shared/data/wordnet-fasttext", model);
    }

    public static WordNetMultiVectors Load(string folder, string model)
    {
        var table = NpyFile.ReadMatrix(Path.Combine(folder, $"{model}.wordvecs.npy"));
        var (items, itemRows) = Gather(table, folder, "items");
        var (queries, _) = Gather(table, folder, "queries");
        return new WordNetMultiVectors(items, itemRows, queries, table.Columns);
    }

    private static (List<TokenMatrix> Sets, List<int> Rows) Gather(VectorMatrix table, string folder, string prefix)
    {
        var ids = NpyFile.ReadInt32(Path.Combine(folder, $"{prefix}.token_ids.npy"));
        var offsets = NpyFile.ReadInt32(Path.Combine(folder, $"{prefix}.token_offsets.npy"));
        var d = table.Columns;
        var sets = new List<TokenMatrix>(offsets.Length - 1);
        var rows = new List<int>(offsets.Length - 1);
        var buffer = new float[1024 * d];
        for (var i = 0; i + 1 < offsets.Length; i++)
        {
            var count = offsets[i + 1] - offsets[i];
            if (count == 0)
            {
                continue;
            }

            if (buffer.Length < count * d)
            {
                buffer = new float[count * d];
            }

            for (var t = 0; t < count; t++)
            {
                table.Row(ids[offsets[i] + t]).CopyTo(buffer.AsSpan(t * d, d));
            }

            sets.Add(TokenMatrix.FromRowMajor(buffer.AsSpan(0, count * d), d));
            rows.Add(i);
        }

        return (sets, rows);
    }
}
