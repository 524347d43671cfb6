using Retrieval.Core.Search;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// Brute-force Chamfer top-k over a list of documents: the exact oracle for every approximate multi-vector search
/// (MUVERA FDEs, pruned tokens), and the rerank step that follows a candidate search.
/// </summary>
public static class ChamferSearch
{
    /// <summary>Below this many documents the scan runs on the calling thread (partitioning costs more than it saves).</summary>
    public const int DefaultParallelThreshold = 2048;

    /// <summary>
    /// The <paramref name="k"/> documents with the highest CH(query, document), best first, ties by lower index
    /// (<see cref="ScoredRow.Row"/> is the index into <paramref name="documents"/>). Runs in parallel over contiguous
    /// document ranges when there are at least <paramref name="parallelThreshold"/> documents; the result does not
    /// depend on the partitioning because each range keeps its own top-k and the merge uses the same total order.
    /// </summary>
    public static ScoredRow[] Search(TokenMatrix query, IReadOnlyList<TokenMatrix> documents, int k, int parallelThreshold = DefaultParallelThreshold)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        return Search(documents.Count, i => Chamfer.Score(query, documents[i]), k, parallelThreshold);
    }

    /// <summary>
    /// <see cref="Search(TokenMatrix, IReadOnlyList{TokenMatrix}, int, int)"/> over token vectors kept in a space's
    /// precision: the scores are Chamfer scores on the stored values.
    /// </summary>
    public static ScoredRow[] Search(TokenMatrix query, IReadOnlyList<StoredTokens> documents, int k, int parallelThreshold = DefaultParallelThreshold)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        return Search(documents.Count, i => documents[i].Score(query), k, parallelThreshold);
    }

    private static ScoredRow[] Search(int count, Func<int, float> score, int k, int parallelThreshold)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (count < parallelThreshold || Environment.ProcessorCount == 1)
        {
            return ScanRange(score, 0, count, k).ToSortedArray();
        }

        var parts = Math.Min(Environment.ProcessorCount * 4, count);
        var partial = new TopK[parts];
        Parallel.For(0, parts, part =>
        {
            var start = (int)((long)count * part / parts);
            var end = (int)((long)count * (part + 1) / parts);
            partial[part] = ScanRange(score, start, end, k);
        });

        var merged = new TopK(k);
        foreach (var top in partial)
        {
            merged.AddRange(top.ToSortedArray());
        }

        return merged.ToSortedArray();
    }

    /// <summary>
    /// Exact Chamfer rerank: scores each candidate row (an index into <paramref name="documents"/>; the candidate's
    /// own score is ignored) and returns the best <paramref name="k"/> by CH, best first.
    /// </summary>
    public static ScoredRow[] Rerank(TokenMatrix query, IReadOnlyList<TokenMatrix> documents, ReadOnlySpan<ScoredRow> candidates, int k)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var top = new TopK(k);
        foreach (var candidate in candidates)
        {
            top.Add(candidate.Row, Chamfer.Score(query, documents[candidate.Row]));
        }

        return top.ToSortedArray();
    }

    /// <summary>
    /// Exact Chamfer rerank on stored tokens: scores each candidate (its <see cref="ScoredRow.Row"/> is the key
    /// <paramref name="documentOf"/> resolves) and returns the best <paramref name="k"/> by CH, best first.
    /// </summary>
    public static ScoredRow[] Rerank(TokenMatrix query, Func<int, StoredTokens> documentOf, ReadOnlySpan<ScoredRow> candidates, int k)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documentOf);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var top = new TopK(k);
        foreach (var candidate in candidates)
        {
            top.Add(candidate.Row, documentOf(candidate.Row).Score(query));
        }

        return top.ToSortedArray();
    }

    private static TopK ScanRange(Func<int, float> score, int start, int end, int k)
    {
        var top = new TopK(k);
        for (var i = start; i < end; i++)
        {
            top.Add(i, score(i));
        }

        return top;
    }
}
