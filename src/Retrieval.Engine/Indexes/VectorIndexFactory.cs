using Retrieval.Core.Model;

namespace Retrieval.Engine.Indexes;

/// <summary>
/// Chooses the engine per index type (docs/decisions.md, "HNSW goes to USearch, the IVF/PQ family stays on Faiss").
/// </summary>
public static class VectorIndexFactory
{
    /// <summary>An empty index for a segment of about <paramref name="capacity"/> vectors.</summary>
    public static IVectorIndex Create(IndexSpec spec, int dimension, Metric metric, long capacity, IndexingOptions options) =>
        spec.IsIvf
            ? FaissVectorIndex.Create(spec, dimension, metric, options)
            : UsearchVectorIndex.Create(spec, dimension, metric, capacity, options);

    /// <summary>Reads an index written by <see cref="IVectorIndex.Serialize"/> for the same spec, dimension and metric.</summary>
    public static IVectorIndex Deserialize(IndexSpec spec, int dimension, Metric metric, ReadOnlySpan<byte> data, IndexingOptions options) =>
        spec.IsIvf
            ? FaissVectorIndex.Deserialize(spec, dimension, metric, data, options)
            : UsearchVectorIndex.Deserialize(spec, dimension, metric, data, options);
}
