namespace Retrieval.Engine.Indexes;

/// <summary>The library that builds and searches float32 HNSW graphs (<see cref="IndexingOptions.HnswLibrary"/>).</summary>
public enum HnswLibrary
{
    /// <summary>
    /// Retrieval's own graph: the diversity heuristic with pruned candidates kept to fill every neighbour list, which
    /// needs about a third of the efSearch of USearch's and hnswlib's graphs on real embeddings for the same recall.
    /// </summary>
    Retrieval = 0,

    /// <summary>USearch (the engine's HNSW library before issue 16).</summary>
    USearch = 1,
}
