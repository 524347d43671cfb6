using Retrieval.Core.Search;
using Retrieval.Faiss;

namespace Retrieval.Engine.MultiVector;

/// <summary>
/// An inner-product Faiss index of the IVF family that a multi-vector space trains once (the FDE PQ codes, the
/// token-level first stage) and then keeps up to date item by item. It remembers its trained, still empty state:
/// snapshots store that state and re-add the vectors, which are re-derived from the stored tokens, under the slots
/// the restored shard gives the items (slots are renumbered by a snapshot, so ids inside a filled index could not be
/// reused). Guarded by the collection lock (adds and removes under its write lock, searches under its read lock).
/// </summary>
internal sealed class TrainedFaissIndex : IDisposable
{
    private readonly FaissIndex _index;

    private TrainedFaissIndex(FaissIndex index, byte[] trainedState)
    {
        _index = index;
        TrainedState = trainedState;
    }

    /// <summary>The index right after training, before any vector was added (Faiss's own serialized form).</summary>
    public byte[] TrainedState { get; }

    public int Dimension => _index.Dimension;

    public long Count => _index.Count;

    /// <summary>Trains a new index <paramref name="factory"/> (e.g. <c>IVF1,PQ320x8</c>) on row-major <paramref name="sample"/>.</summary>
    public static TrainedFaissIndex Train(string factory, int dimension, ReadOnlySpan<float> sample)
    {
        var index = FaissIndex.Create(factory, dimension, FaissMetric.InnerProduct);
        try
        {
            // One thread: PQ trains one small k-means per sub-quantizer, where OpenMP's per-region synchronisation costs
            // more than it saves (measured 2 min with 2 threads on the shared machine for 320 sub-quantizers).
            using (FaissRuntime.UseThreadsOnThisThread(1))
            {
                index.Train(sample);
            }

            return new TrainedFaissIndex(index, index.Serialize());
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>An empty index from a <see cref="TrainedState"/> (a snapshot's).</summary>
    /// <exception cref="InvalidDataException">Not a trained inner-product index of <paramref name="dimension"/>.</exception>
    public static TrainedFaissIndex FromTrainedState(ReadOnlySpan<byte> state, int dimension)
    {
        var index = FaissIndex.Deserialize(state);
        if (index.Dimension != dimension || index.Metric != FaissMetric.InnerProduct || !index.IsTrained || index.Count != 0)
        {
            index.Dispose();
            throw new InvalidDataException($"the trained index state has dimension {index.Dimension}, metric {index.Metric}, trained {index.IsTrained} and {index.Count} vectors; expected an empty trained inner-product index of dimension {dimension}");
        }

        return new TrainedFaissIndex(index, state.ToArray());
    }

    public void Add(ReadOnlySpan<long> ids, ReadOnlySpan<float> vectors)
    {
        using var threads = FaissRuntime.UseThreadsOnThisThread(1);
        _index.Add(ids, vectors);
    }

    public void Remove(ReadOnlySpan<long> ids)
    {
        using var threads = FaissRuntime.UseThreadsOnThisThread(1);
        _index.Remove(ids);
    }

    /// <summary>
    /// Up to <paramref name="k"/> ids with their approximate inner products, best first, probing
    /// <paramref name="probes"/> lists; with <paramref name="allowed"/> (a bitset over ids) only those ids. Returns how many.
    /// </summary>
    public int Search(ReadOnlySpan<float> query, int k, int probes, RowFilter? allowed, Span<long> ids, Span<float> scores)
    {
        _index.Search(query, k, ids, scores, new FaissSearchParameters
        {
            NProbe = probes,
            Threads = 1,
            Filter = allowed is null ? null : FaissIdFilter.FromBitset(allowed.Words),
        });
        var found = 0;
        while (found < k && ids[found] >= 0)
        {
            found++;
        }

        return found;
    }

    public void Dispose() => _index.Dispose();
}
