namespace Retrieval.Engine.Indexes;

/// <summary>The approximate index families a space can be served by.</summary>
public enum IndexKind
{
    /// <summary>HNSW graph (USearch), vectors stored as float32.</summary>
    Hnsw,

    /// <summary>HNSW graph (USearch), vectors stored 8-bit (cosine) or half precision (inner product, L2).</summary>
    HnswSq8,

    /// <summary>Faiss inverted lists with full vectors.</summary>
    IvfFlat,

    /// <summary>Faiss inverted lists with product-quantized codes.</summary>
    IvfPq,

    /// <summary>Faiss inverted lists with 8-bit scalar-quantized vectors.</summary>
    IvfSq8,
}
