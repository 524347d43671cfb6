using System.Numerics.Tensors;

namespace Retrieval.Core.Search;

/// <summary>
/// Exact (brute-force) top-k over a <see cref="FlatVectorStorage"/>. The oracle for every approximate index.
/// </summary>
public static class ExactSearch
{
    /// <summary>The k best rows for one query, best first. Rows outside <paramref name="filter"/> are skipped.</summary>
    public static ScoredRow[] Search(FlatVectorStorage rows, ReadOnlySpan<float> query, int k, ScoreKind kind, RowFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (query.Length != rows.Dimension)
        {
            throw new ArgumentException($"query has {query.Length} components, storage has dimension {rows.Dimension}", nameof(query));
        }

        var top = new TopK(k);
        for (var r = 0; r < rows.Count; r++)
        {
            if (filter is not null && !filter.Contains(r))
            {
                continue;
            }

            var row = rows.Row(r);
            var score = kind == ScoreKind.InnerProduct
                ? TensorPrimitives.Dot(query, row)
                : -SquaredDistance(query, row);
            top.Add(r, score);
        }

        return top.ToSortedArray();
    }

    /// <summary>The k best rows for each of <paramref name="queryCount"/> row-major queries.</summary>
    public static ScoredRow[][] SearchBatch(FlatVectorStorage rows, ReadOnlySpan<float> queries, int queryCount, int k, ScoreKind kind, RowFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var results = new ScoredRow[queryCount][];
        for (var q = 0; q < queryCount; q++)
        {
            results[q] = Search(rows, queries.Slice(q * rows.Dimension, rows.Dimension), k, kind, filter);
        }

        return results;
    }

    private static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var d = TensorPrimitives.Distance(a, b);
        return d * d;
    }
}
