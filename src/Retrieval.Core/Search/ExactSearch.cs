using Retrieval.Core.Search.Kernels;

namespace Retrieval.Core.Search;

/// <summary>
/// Exact (brute-force) top-k over a <see cref="FlatVectorStorage"/>. The oracle for every approximate index.
/// </summary>
/// <remarks>
/// Scores come from AVX2 + FMA kernels where the CPU has them and from <see cref="System.Numerics.Tensors.TensorPrimitives"/>
/// otherwise. Within one process a (query, row) pair always gets the same score, so <see cref="SearchBatch(FlatVectorStorage, ReadOnlySpan{float}, int, int, ScoreKind, RowFilter?)"/>
/// returns exactly what <see cref="Search(FlatVectorStorage, ReadOnlySpan{float}, int, ScoreKind, RowFilter?)"/> returns per query.
/// Scores are float32 sums; vectors must be finite (a NaN score has no rank).
/// </remarks>
public static class ExactSearch
{
    /// <summary>The k best rows for one query, best first, ties broken by lower row. Rows outside <paramref name="filter"/> are skipped.</summary>
    public static ScoredRow[] Search(FlatVectorStorage rows, ReadOnlySpan<float> query, int k, ScoreKind kind, RowFilter? filter = null) =>
        Search(rows, query, k, kind, filter, ExactSearchOptions.Default);

    /// <inheritdoc cref="Search(FlatVectorStorage, ReadOnlySpan{float}, int, ScoreKind, RowFilter?)"/>
    public static ScoredRow[] Search(FlatVectorStorage rows, ReadOnlySpan<float> query, int k, ScoreKind kind, RowFilter? filter, ExactSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        options.Validate();
        if (query.Length != rows.Dimension)
        {
            throw new ArgumentException($"query has {query.Length} components, storage has dimension {rows.Dimension}", nameof(query));
        }

        if (rows.Count == 0)
        {
            return [];
        }

        return (kind, UseVector256(options)) switch
        {
            (ScoreKind.InnerProduct, true) => SingleQueryScan<Vector256Kernel<InnerProductOp>>.Run(rows, query, k, filter, options),
            (ScoreKind.NegativeSquaredL2, true) => SingleQueryScan<Vector256Kernel<NegativeSquaredL2Op>>.Run(rows, query, k, filter, options),
            (ScoreKind.InnerProduct, false) => SingleQueryScan<PortableInnerProductKernel>.Run(rows, query, k, filter, options),
            (ScoreKind.NegativeSquaredL2, false) => SingleQueryScan<PortableSquaredL2Kernel>.Run(rows, query, k, filter, options),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown score kind"),
        };
    }

    /// <summary>
    /// The k best rows for each of <paramref name="queryCount"/> row-major queries (query i at [i·d, (i+1)·d)),
    /// each best first with ties broken by lower row.
    /// </summary>
    public static ScoredRow[][] SearchBatch(FlatVectorStorage rows, ReadOnlySpan<float> queries, int queryCount, int k, ScoreKind kind, RowFilter? filter = null) =>
        SearchBatch(rows, queries, queryCount, k, kind, filter, ExactSearchOptions.Default);

    /// <inheritdoc cref="SearchBatch(FlatVectorStorage, ReadOnlySpan{float}, int, int, ScoreKind, RowFilter?)"/>
    public static ScoredRow[][] SearchBatch(FlatVectorStorage rows, ReadOnlySpan<float> queries, int queryCount, int k, ScoreKind kind, RowFilter? filter, ExactSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(queryCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        options.Validate();
        var needed = (long)queryCount * rows.Dimension;
        if (queries.Length < needed)
        {
            throw new ArgumentException($"{queryCount} queries of dimension {rows.Dimension} need {needed} components, got {queries.Length}", nameof(queries));
        }

        if (rows.Count == 0 || queryCount == 0)
        {
            var empty = new ScoredRow[queryCount][];
            Array.Fill(empty, []);
            return empty;
        }

        queries = queries[..(int)needed];
        return (kind, UseVector256(options)) switch
        {
            (ScoreKind.InnerProduct, true) => BatchScan<Vector256Kernel<InnerProductOp>>.Run(rows, queries, queryCount, k, filter, options),
            (ScoreKind.NegativeSquaredL2, true) => BatchScan<Vector256Kernel<NegativeSquaredL2Op>>.Run(rows, queries, queryCount, k, filter, options),
            (ScoreKind.InnerProduct, false) => BatchScan<PortableInnerProductKernel>.Run(rows, queries, queryCount, k, filter, options),
            (ScoreKind.NegativeSquaredL2, false) => BatchScan<PortableSquaredL2Kernel>.Run(rows, queries, queryCount, k, filter, options),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown score kind"),
        };
    }

    private static bool UseVector256(ExactSearchOptions options) =>
        !options.ForcePortableKernels && Vector256Kernel<InnerProductOp>.IsSupported;
}
