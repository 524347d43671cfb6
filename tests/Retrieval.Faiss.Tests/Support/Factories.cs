namespace Retrieval.Faiss.Tests.Support;

/// <summary>
/// The factory strings the engine uses, as Faiss 1.7.3's index_factory spells them. "HNSW32,SQ8" and
/// "HNSW32_SQ8" both build an IndexHNSWSQ in 1.7.3; the comma form is the documented one.
/// </summary>
public static class Factories
{
    public const string Flat = "Flat";
    public const string Hnsw = "HNSW32";
    public const string HnswSq8 = "HNSW32,SQ8";
    public const string IvfFlat = "IVF64,Flat";
    public const string IvfPq = "IVF64,PQ8x8";
    public const string IvfSq8 = "IVF64,SQ8";

    public static TheoryData<string> All => [Flat, Hnsw, HnswSq8, IvfFlat, IvfPq, IvfSq8];

    /// <summary>Types that can remove ids in Faiss 1.7.3 (HNSW cannot: the engine tombstones instead).</summary>
    public static TheoryData<string> Removable => [Flat, IvfFlat, IvfPq, IvfSq8];
}
