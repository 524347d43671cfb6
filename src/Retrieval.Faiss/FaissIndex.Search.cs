using System.Buffers;

namespace Retrieval.Faiss;

public sealed partial class FaissIndex
{
    /// <summary>The <paramref name="k"/> best hits of each row-major query, best first.</summary>
    public FaissSearchResult Search(ReadOnlySpan<float> queries, int k, FaissSearchParameters? parameters = null)
    {
        CheckVectors(queries, nameof(queries));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var queryCount = queries.Length / Dimension;
        var ids = new long[queryCount * k];
        var scores = new float[queryCount * k];
        Search(queries, k, ids, scores, parameters);
        return new FaissSearchResult(queryCount, k, ids, scores);
    }

    /// <summary>
    /// Writes the <paramref name="k"/> best hits of each row-major query into <paramref name="ids"/> and
    /// <paramref name="scores"/> (query-major, best first). Scores are higher-is-better: the inner product,
    /// or the negated squared L2 distance; empty slots have id −1 and score −∞.
    /// </summary>
    public unsafe void Search(ReadOnlySpan<float> queries, int k, Span<long> ids, Span<float> scores, FaissSearchParameters? parameters = null)
    {
        CheckVectors(queries, nameof(queries));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var queryCount = queries.Length / Dimension;
        var needed = (long)queryCount * k;
        if (ids.Length < needed || scores.Length < needed)
        {
            throw new ArgumentException($"{queryCount} queries × k={k} need {needed} slots in ids and scores");
        }

        var filter = parameters?.Filter;
        if (filter is not null && filter.IsEmpty)
        {
            // Nothing is allowed. Answered here because the C ABI reads a null filter pointer as "no filter".
            ids[..(int)needed].Fill(-1);
            scores[..(int)needed].Fill(float.NegativeInfinity);
            return;
        }

        var native = new NativeMethods.RfSearchParams
        {
            EfSearch = parameters?.EfSearch ?? 0,
            NProbe = parameters?.NProbe ?? 0,
            NumThreads = parameters?.Threads ?? 0,
        };
        if (native.NumThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(parameters), native.NumThreads, "Threads must be >= 0");
        }

        using var pin = PinFilter(filter, ref native);
        var efSearch = native.EfSearch;
        _lock.EnterReadLock();
        try
        {
            // Fast path: no efSearch switch needed (non-HNSW indexes have _hnswEfSearch == 0 and ignore efSearch).
            if (efSearch <= 0 || _hnswEfSearch == 0 || efSearch == _hnswEfSearch)
            {
                SearchNative(queries, k, ids, scores, &native);
                efSearch = 0;
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        if (efSearch > 0)
        {
            SearchWithEfSearch(queries, k, ids, scores, &native);
        }

        ToHigherIsBetter(ids[..(int)needed], scores[..(int)needed]);
    }

    // Switches the index-level efSearch under the write lock, then searches under the upgradeable
    // read lock, which still admits plain readers that want the same efSearch.
    private unsafe void SearchWithEfSearch(ReadOnlySpan<float> queries, int k, Span<long> ids, Span<float> scores, NativeMethods.RfSearchParams* native)
    {
        _lock.EnterUpgradeableReadLock();
        try
        {
            if (native->EfSearch != _hnswEfSearch)
            {
                _lock.EnterWriteLock();
                try
                {
                    FaissException.ThrowIfFailed(NativeMethods.rf_index_set_hnsw_ef_search(_handle, native->EfSearch));
                    _hnswEfSearch = native->EfSearch;
                }
                finally
                {
                    _lock.ExitWriteLock();
                }
            }

            SearchNative(queries, k, ids, scores, native);
        }
        finally
        {
            _lock.ExitUpgradeableReadLock();
        }
    }

    private unsafe void SearchNative(ReadOnlySpan<float> queries, int k, Span<long> ids, Span<float> scores, NativeMethods.RfSearchParams* native)
    {
        fixed (float* x = queries)
        fixed (float* distances = scores)
        fixed (long* labels = ids)
        {
            FaissException.ThrowIfFailed(NativeMethods.rf_index_search(_handle, queries.Length / Dimension, x, k, native, distances, labels));
        }
    }

    // Points the native parameters at the filter's memory; the handle keeps it pinned until disposed.
    private static unsafe MemoryHandle PinFilter(FaissIdFilter? filter, ref NativeMethods.RfSearchParams native)
    {
        if (filter is null)
        {
            return default;
        }

        if (filter.IsBitset)
        {
            var handle = filter.Bitset.Pin();
            native.FilterBitmap = (byte*)handle.Pointer;
            native.FilterBitmapBytes = (long)filter.Bitset.Length * sizeof(ulong);
            return handle;
        }

        var idsHandle = filter.Ids.Pin();
        native.FilterIds = (long*)idsHandle.Pointer;
        native.FilterIdCount = filter.Ids.Length;
        return idsHandle;
    }

    private void ToHigherIsBetter(Span<long> ids, Span<float> scores)
    {
        var negate = Metric == FaissMetric.L2;
        for (var i = 0; i < scores.Length; i++)
        {
            if (ids[i] < 0)
            {
                scores[i] = float.NegativeInfinity;
            }
            else if (negate)
            {
                scores[i] = -scores[i];
            }
        }
    }
}
