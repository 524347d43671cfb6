using Retrieval.Core.Search;

namespace Retrieval.Engine.Indexes;

/// <summary>
/// An approximate nearest-neighbour index over the rows of one sealed segment, keyed by row number. Built once
/// (train, then add), then searched concurrently; deletes are the segment's tombstones, passed in as a filter.
/// </summary>
public interface IVectorIndex : IDisposable
{
    /// <summary>The spec it was built with (IVF's nlist possibly capped for the segment size).</summary>
    IndexSpec Spec { get; }

    int Dimension { get; }

    /// <summary>Vectors added.</summary>
    long Count { get; }

    /// <summary>True when <see cref="Train"/> must run before <see cref="Add"/>.</summary>
    bool NeedsTraining { get; }

    /// <summary>Trains codebooks/centroids on row-major sample vectors. A no-op for HNSW.</summary>
    void Train(ReadOnlySpan<float> sample);

    /// <summary>Adds row-major vectors under the given row ids. One caller at a time.</summary>
    void Add(ReadOnlySpan<long> ids, ReadOnlySpan<float> vectors);

    /// <summary>
    /// Writes up to <paramref name="k"/> hits (ids and approximate higher-is-better scores) and returns how many.
    /// With <paramref name="allowed"/>, only its rows may be returned. Safe to call concurrently.
    /// </summary>
    int Search(ReadOnlySpan<float> query, int k, IndexSearchParameters parameters, RowFilter? allowed, Span<long> ids, Span<float> scores);

    /// <summary>
    /// Bytes the index's structures take, as its engine lays them out: its serialized length, computed without
    /// serializing (USearch: nodes, links and vectors; Faiss: codes, ids, centroids, codebooks), which leaves out
    /// allocator reserve. The vector memory budget counts it (<see cref="Memory.VectorMemoryAccounting"/>).
    /// </summary>
    long MemoryBytes { get; }

    /// <summary>The index in its engine's own format, for snapshots.</summary>
    byte[] Serialize();
}
