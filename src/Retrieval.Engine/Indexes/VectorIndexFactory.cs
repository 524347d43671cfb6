using Retrieval.Core.Model;

namespace Retrieval.Engine.Indexes;

/// <summary>
/// Chooses the engine per index type: float32 HNSW on Retrieval's own graph (unless <see cref="IndexingOptions.HnswLibrary"/>
/// says USearch), HNSW with SQ8 on USearch, the IVF/PQ family on Faiss (docs/decisions.md).
/// </summary>
public static class VectorIndexFactory
{
    /// <summary>An empty index for a segment of about <paramref name="capacity"/> vectors.</summary>
    public static IVectorIndex Create(IndexSpec spec, int dimension, Metric metric, long capacity, IndexingOptions options) =>
        spec.IsIvf
            ? FaissVectorIndex.Create(spec, dimension, metric, options)
            : spec.Kind == IndexKind.Hnsw && options.HnswLibrary == HnswLibrary.Retrieval
                ? GraphVectorIndex.Create(spec, dimension, metric, capacity, options)
                : UsearchVectorIndex.Create(spec, dimension, metric, capacity, options);

    /// <summary>Reads an index written by <see cref="IVectorIndex.Serialize"/> for the same spec, dimension and metric.</summary>
    /// <remarks>
    /// An HNSW snapshot is read by the library that wrote it, whatever the setting now: snapshots written before the
    /// graph was Retrieval's own are USearch graphs and keep working (and are replaced when their segment is rebuilt).
    /// </remarks>
    public static IVectorIndex Deserialize(IndexSpec spec, int dimension, Metric metric, ReadOnlySpan<byte> data, IndexingOptions options) =>
        spec.IsIvf
            ? FaissVectorIndex.Deserialize(spec, dimension, metric, data, options)
            : GraphVectorIndex.IsOwnFormat(data)
                ? GraphVectorIndex.Deserialize(spec, dimension, metric, data, options)
                : UsearchVectorIndex.Deserialize(spec, dimension, metric, data, options);
}
