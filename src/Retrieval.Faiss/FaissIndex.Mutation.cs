namespace Retrieval.Faiss;

public sealed partial class FaissIndex
{
    /// <summary>
    /// Trains the index (IVF centroids, PQ/SQ codebooks) on row-major vectors, typically a sample of the data.
    /// A no-op for indexes that need no training.
    /// </summary>
    public unsafe void Train(ReadOnlySpan<float> vectors)
    {
        CheckVectors(vectors, nameof(vectors));
        var n = vectors.Length / Dimension;
        _lock.EnterWriteLock();
        try
        {
            fixed (float* x = vectors)
            {
                FaissException.ThrowIfFailed(NativeMethods.rf_index_train(_handle, n, x));
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Adds row-major <paramref name="vectors"/> under <paramref name="ids"/> (one id per vector).</summary>
    public unsafe void Add(ReadOnlySpan<long> ids, ReadOnlySpan<float> vectors)
    {
        CheckVectors(vectors, nameof(vectors));
        if (vectors.Length != ids.Length * Dimension)
        {
            throw new ArgumentException($"{ids.Length} ids need {ids.Length * Dimension} floats, got {vectors.Length}", nameof(vectors));
        }

        _lock.EnterWriteLock();
        try
        {
            fixed (float* x = vectors)
            fixed (long* xids = ids)
            {
                FaissException.ThrowIfFailed(NativeMethods.rf_index_add_with_ids(_handle, ids.Length, x, xids));
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes the vectors stored under <paramref name="ids"/>; returns how many were removed.</summary>
    /// <exception cref="FaissException">The index type cannot remove (HNSW in Faiss 1.7.3).</exception>
    public unsafe long Remove(ReadOnlySpan<long> ids)
    {
        _lock.EnterWriteLock();
        try
        {
            fixed (long* xids = ids)
            {
                FaissException.ThrowIfFailed(NativeMethods.rf_index_remove_ids(_handle, ids.Length, xids, out var removed));
                return removed;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }
}
