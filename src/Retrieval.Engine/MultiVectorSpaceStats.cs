namespace Retrieval.Engine;

/// <summary>
/// How much a multi-vector space's pruning saves: <see cref="VectorsKept"/> of the <see cref="TokensReceived"/> token
/// vectors of its <see cref="Items"/> items are kept for the rerank and the FDEs.
/// </summary>
public sealed record MultiVectorSpaceStats(string Space, long Items, long TokensReceived, long VectorsKept)
{
    /// <summary>TokensReceived / VectorsKept (1 without pruning; 1 when the space is empty).</summary>
    public double Reduction => VectorsKept == 0 ? 1 : (double)TokensReceived / VectorsKept;
}
