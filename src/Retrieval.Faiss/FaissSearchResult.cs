namespace Retrieval.Faiss;

/// <summary>
/// Hits of a batch of queries: <see cref="QueryCount"/> rows of <see cref="K"/> hits, best first.
/// Scores are "higher is better" (see <see cref="FaissIndex.Search(ReadOnlySpan{float}, int, Span{long}, Span{float}, FaissSearchParameters?)"/>);
/// a slot with no hit has id −1 and score −∞.
/// </summary>
public sealed class FaissSearchResult
{
    private readonly long[] _ids;
    private readonly float[] _scores;

    internal FaissSearchResult(int queryCount, int k, long[] ids, float[] scores)
    {
        QueryCount = queryCount;
        K = k;
        _ids = ids;
        _scores = scores;
    }

    public int QueryCount { get; }

    public int K { get; }

    /// <summary>The hit ids of query <paramref name="query"/>.</summary>
    public ReadOnlySpan<long> Ids(int query) => _ids.AsSpan(RowStart(query), K);

    /// <summary>The scores of query <paramref name="query"/>, aligned with <see cref="Ids"/>.</summary>
    public ReadOnlySpan<float> Scores(int query) => _scores.AsSpan(RowStart(query), K);

    private int RowStart(int query)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(query);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(query, QueryCount);
        return query * K;
    }
}
