namespace Retrieval.Engine.Indexes;

/// <summary>Per-request knobs of an approximate search; zero means the configured default.</summary>
/// <param name="EfSearch">HNSW candidate list size.</param>
/// <param name="NProbe">IVF lists visited.</param>
public readonly record struct IndexSearchParameters(int EfSearch, int NProbe);
