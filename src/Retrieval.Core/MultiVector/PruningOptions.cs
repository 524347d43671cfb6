namespace Retrieval.Core.MultiVector;

/// <summary>Options of <see cref="TokenPruner"/>. Immutable; the defaults prune nothing.</summary>
public sealed record PruningOptions
{
    /// <summary>The method. Default <see cref="PruningMethod.None"/>.</summary>
    public PruningMethod Method { get; init; } = PruningMethod.None;

    /// <summary>Centroids per item for <see cref="PruningMethod.KMeansFixed"/> (k_d for documents, k_q for queries). Default 8.</summary>
    public int TargetCount { get; init; } = 8;

    /// <summary>Fraction of the token count kept by <see cref="PruningMethod.KMeansRatio"/>, in (0, 1]. Default 0.5.</summary>
    public double Ratio { get; init; } = 0.5;

    /// <summary>Tokens per pooled vector for <see cref="PruningMethod.WardPooling"/> (≥ 1). Default 2 (half the vectors).</summary>
    public int PoolFactor { get; init; } = 2;

    /// <summary>Lloyd iterations after k-means++ seeding (it stops early when no assignment changes). Default 10.</summary>
    public int Iterations { get; init; } = 10;

    /// <summary>Seed of the k-means++ draws. Default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// Drop duplicate tokens of an item before <see cref="Method"/> runs: a token within <see cref="DedupDistance"/>
    /// (Euclidean) of an earlier kept token is dropped. With distance 0 (exact duplicates) Chamfer is unchanged, since a
    /// maximum over a set does not depend on repeats; within δ it changes by at most ‖q‖·δ per query token. Default
    /// false. The FDE may change (a document block averages its tokens, so repeats weigh in it).
    /// </summary>
    public bool Dedup { get; init; }

    /// <summary>Largest Euclidean distance at which <see cref="Dedup"/> treats two tokens as duplicates (≥ 0). Default 0: exact.</summary>
    public float DedupDistance { get; init; }

    /// <summary>Centroid re-normalization rule. Default <see cref="CentroidNormalization.Auto"/>.</summary>
    public CentroidNormalization Normalization { get; init; } = CentroidNormalization.Auto;

    /// <summary>Only duplicate removal (exact when <paramref name="distance"/> is 0).</summary>
    public static PruningOptions Deduplicate(float distance = 0) => new() { Dedup = true, DedupDistance = distance };

    /// <summary>k-means to <paramref name="count"/> centroids (k_d or k_q).</summary>
    public static PruningOptions KMeans(int count, ulong seed = 0) => new() { Method = PruningMethod.KMeansFixed, TargetCount = count, Seed = seed };

    /// <summary>k-means to ⌈<paramref name="ratio"/>·n⌉ centroids.</summary>
    public static PruningOptions KMeansToRatio(double ratio, ulong seed = 0) => new() { Method = PruningMethod.KMeansRatio, Ratio = ratio, Seed = seed };

    /// <summary>Ward hierarchical pooling by <paramref name="poolFactor"/>.</summary>
    public static PruningOptions Ward(int poolFactor) => new() { Method = PruningMethod.WardPooling, PoolFactor = poolFactor };

    /// <summary>The number of vectors an item of <paramref name="tokenCount"/> tokens keeps (before duplicate collapse).</summary>
    public int TargetFor(int tokenCount) => Method switch
    {
        PruningMethod.None => tokenCount,
        PruningMethod.KMeansFixed => Math.Min(tokenCount, TargetCount),
        PruningMethod.KMeansRatio => Math.Clamp((int)Math.Ceiling(Ratio * tokenCount), 1, tokenCount),
        PruningMethod.WardPooling => Math.Max(1, (tokenCount + PoolFactor - 1) / PoolFactor),
        _ => throw new ArgumentOutOfRangeException(nameof(tokenCount), Method, "unknown pruning method"),
    };

    /// <summary>Throws <see cref="ArgumentException"/> for an out-of-range option.</summary>
    public void Validate()
    {
        if (TargetCount < 1 || Iterations < 0 || PoolFactor < 1 || !(Ratio > 0 && Ratio <= 1))
        {
            throw new ArgumentException($"invalid pruning options: TargetCount {TargetCount} (≥ 1), Ratio {Ratio} ((0, 1]), PoolFactor {PoolFactor} (≥ 1), Iterations {Iterations} (≥ 0)");
        }

        if (!(DedupDistance >= 0) || !float.IsFinite(DedupDistance))
        {
            throw new ArgumentException($"invalid pruning options: DedupDistance {DedupDistance} must be a finite number ≥ 0");
        }
    }
}
