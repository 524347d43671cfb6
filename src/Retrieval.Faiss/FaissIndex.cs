namespace Retrieval.Faiss;

/// <summary>
/// A Faiss index built from a factory string (<c>HNSW32</c>, <c>HNSW32,SQ8</c>, <c>IVF1024,Flat</c>,
/// <c>IVF1024,PQ32x8</c>, <c>IVF1024,SQ8</c>, <c>Flat</c>, ...) that stores caller-chosen 64-bit ids.
/// </summary>
/// <remarks>
/// <para>Scores follow <see cref="Metric"/>: higher is better. Inner-product scores are Faiss's
/// similarities as they are; L2 scores are Faiss's squared distances negated.</para>
/// <para>Thread-safety: <see cref="Search(ReadOnlySpan{float}, int, FaissSearchParameters?)"/>, <see cref="Count"/>
/// and <see cref="Save"/> may run concurrently (Faiss searches are read-only);
/// <see cref="Train"/>, <see cref="Add"/> and <see cref="Remove"/> mutate the index and wait for running
/// readers, and readers wait for them. A reader/writer lock enforces this, so misuse costs
/// latency, never memory safety. Searches that must never wait for a build belong to a different
/// index instance (the segment design builds a new index beside the one being served).</para>
/// <para>Not every index type supports every operation in Faiss 1.7.3: HNSW indexes cannot remove
/// ids, IVF indexes must be trained before adding. Such calls throw <see cref="FaissException"/>
/// with Faiss's message.</para>
/// <para>Faiss 1.7.3 reads HNSW's efSearch from the index as well as from the per-search parameters, so a
/// search whose <see cref="FaissSearchParameters.EfSearch"/> differs from the previous one switches the
/// index-level value first: searches with one efSearch run concurrently, switches between values serialize.</para>
/// </remarks>
public sealed partial class FaissIndex : IDisposable
{
    private readonly FaissIndexHandle _handle;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);

    // The index-level HNSW efSearch (0 for other types); changed only under the write lock, so any
    // reader holding the lock sees the value its search runs with.
    private int _hnswEfSearch;
    private int _disposed;

    private FaissIndex(FaissIndexHandle handle)
    {
        _handle = handle;
        FaissException.ThrowIfFailed(NativeMethods.rf_index_dimension(handle, out var dimension));
        FaissException.ThrowIfFailed(NativeMethods.rf_index_metric(handle, out var metric));
        FaissException.ThrowIfFailed(NativeMethods.rf_index_hnsw_ef_search(handle, out _hnswEfSearch));
        Dimension = dimension;
        Metric = metric switch
        {
            NativeMethods.RF_METRIC_INNER_PRODUCT => FaissMetric.InnerProduct,
            NativeMethods.RF_METRIC_L2 => FaissMetric.L2,
            _ => throw new FaissException(FaissErrorCode.InvalidArgument, $"unsupported Faiss metric {metric}"),
        };
    }

    /// <summary>Vector dimension.</summary>
    public int Dimension { get; }

    /// <summary>How vectors are compared, and so how scores are computed.</summary>
    public FaissMetric Metric { get; }

    /// <summary>False while an index that needs training (IVF, PQ, SQ) has not been trained.</summary>
    public bool IsTrained => Read(static h =>
    {
        FaissException.ThrowIfFailed(NativeMethods.rf_index_is_trained(h, out var trained));
        return trained != 0;
    });

    /// <summary>Number of vectors stored.</summary>
    public long Count => Read(static h =>
    {
        FaissException.ThrowIfFailed(NativeMethods.rf_index_ntotal(h, out var count));
        return count;
    });

    /// <summary>
    /// Creates an empty index. Cosine spaces pass <see cref="FaissMetric.InnerProduct"/> and normalized vectors.
    /// </summary>
    /// <exception cref="FaissException">Faiss rejected the factory string (its message says why).</exception>
    public static FaissIndex Create(string factory, int dimension, FaissMetric metric)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(factory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        var nativeMetric = metric switch
        {
            FaissMetric.InnerProduct => NativeMethods.RF_METRIC_INNER_PRODUCT,
            FaissMetric.L2 => NativeMethods.RF_METRIC_L2,
            _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "unknown metric"),
        };
        return Adopt(NativeMethods.rf_index_create(factory, dimension, nativeMetric, out var handle), handle);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Waits for in-flight calls, so the lock is free when it is disposed (the handle's reference
        // count alone would keep the native index alive, but not the lock).
        _lock.EnterWriteLock();
        try
        {
            _handle.Dispose();
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        _lock.Dispose();
    }

    // Takes ownership of a handle returned by a create/read call, freeing it if that call failed.
    private static FaissIndex Adopt(int code, FaissIndexHandle handle)
    {
        try
        {
            FaissException.ThrowIfFailed(code);
            return new FaissIndex(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private T Read<T>(Func<FaissIndexHandle, T> action)
    {
        _lock.EnterReadLock();
        try
        {
            return action(_handle);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private void CheckVectors(ReadOnlySpan<float> vectors, string paramName)
    {
        if (vectors.Length % Dimension != 0)
        {
            throw new ArgumentException($"{vectors.Length} floats is not a whole number of {Dimension}-dimensional vectors", paramName);
        }
    }
}
