namespace Retrieval.Engine.Memory;

/// <summary>
/// What one space of a collection holds in memory, over every shard, as the vector memory budget counts it
/// (<see cref="VectorMemoryAccounting"/>): the live vectors' float rows, their share of the approximate indexes, and
/// for a multi-vector space the token vectors kept for the rerank.
/// </summary>
/// <param name="Space">The space's name.</param>
/// <param name="Vectors">Live vectors (for a multi-vector space: items, one FDE each).</param>
/// <param name="VectorBytes">The live vectors' float32 rows (FDEs for a multi-vector space).</param>
/// <param name="IndexBytes">
/// The approximate indexes: each built index at its own size in proportion to its live rows, plus the spec's
/// estimate for live vectors not yet indexed; 0 for an exactly searched space.
/// </param>
/// <param name="TokenBytes">Token vectors kept after pruning (multi-vector spaces; 0 otherwise).</param>
public sealed record SpaceMemory(string Space, long Vectors, long VectorBytes, long IndexBytes, long TokenBytes)
{
    /// <summary>Everything the budget counts for the space.</summary>
    public long TotalBytes => VectorBytes + IndexBytes + TokenBytes;
}
