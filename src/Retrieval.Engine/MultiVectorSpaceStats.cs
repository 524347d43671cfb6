using Retrieval.Engine.MultiVector;

namespace Retrieval.Engine;

/// <summary>
/// How much a multi-vector space's pruning saves: <see cref="VectorsKept"/> of the <see cref="TokensReceived"/> token
/// vectors of its <see cref="Items"/> items are kept for the rerank and the FDEs; and what the space's items cost in
/// memory: <see cref="FdeBytes"/> for the first stage's FDEs (float32, or PQ codes once trained) and
/// <see cref="TokenBytes"/> for the stored tokens the rerank reads (in the space's token precision).
/// </summary>
public sealed record MultiVectorSpaceStats(string Space, long Items, long TokensReceived, long VectorsKept)
{
    /// <summary>TokensReceived / VectorsKept (1 without pruning; 1 when the space is empty).</summary>
    public double Reduction => VectorsKept == 0 ? 1 : (double)TokensReceived / VectorsKept;

    /// <summary>Bytes the FDEs of all items take (4 per dimension in float32; code bytes + an 8-byte id as PQ codes).</summary>
    public long FdeBytes { get; init; }

    /// <summary>Bytes the stored token vectors of all items take.</summary>
    public long TokenBytes { get; init; }

    /// <summary>Bytes the token-level first stage's index takes (a space with firstStage TOKENS, once trained).</summary>
    public long TokenIndexBytes { get; init; }

    /// <summary>TokenIndexBytes per item (0 when the space is empty).</summary>
    public double TokenIndexBytesPerItem => Items == 0 ? 0 : (double)TokenIndexBytes / Items;

    /// <summary>True once the space keeps its FDEs as PQ codes (a space with fdePq, trained).</summary>
    public bool FdeCodesTrained { get; init; }

    /// <summary>True once a space with firstStage TOKENS has trained its token index.</summary>
    public bool TokenIndexTrained { get; init; }

    /// <summary>FdeBytes per item (0 when the space is empty).</summary>
    public double FdeBytesPerItem => Items == 0 ? 0 : (double)FdeBytes / Items;

    /// <summary>TokenBytes per item (0 when the space is empty).</summary>
    public double TokenBytesPerItem => Items == 0 ? 0 : (double)TokenBytes / Items;

    /// <summary>The space's figures summed over its shards.</summary>
    internal static MultiVectorSpaceStats Of(IReadOnlyList<MultiVectorIndex> perShard) =>
        new(perShard[0].Definition.Name, perShard.Sum(m => m.Count), perShard.Sum(m => m.TokensReceived), perShard.Sum(m => m.VectorsKept))
        {
            FdeBytes = perShard.Sum(m => m.FdeBytes),
            TokenBytes = perShard.Sum(m => m.TokenBytes),
            FdeCodesTrained = perShard.Any(m => m.HasFdeCodes),
            TokenIndexBytes = perShard.Sum(m => m.TokenIndexBytes),
            TokenIndexTrained = perShard.Any(m => m.HasTokenIndex),
        };
}
