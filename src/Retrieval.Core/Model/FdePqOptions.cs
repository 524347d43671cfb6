namespace Retrieval.Core.Model;

/// <summary>
/// Product quantization of a multi-vector space's document FDEs (MUVERA's PQ-256-G): each group of
/// <see cref="DimsPerCode"/> FDE dimensions becomes one 8-bit code (256 centroids), searched flat with asymmetric
/// distance (float query against the codes). The codebooks are trained once, on the FDEs of the first
/// <see cref="TrainItems"/> items; until then the space keeps float32 FDEs, afterwards only the codes. The rerank stays
/// exact Chamfer on the stored tokens.
/// </summary>
public sealed record FdePqOptions
{
    /// <summary>Default FDE dimensions per code: 8, so a code is 32× smaller than the float32 FDE.</summary>
    public const int DefaultDimsPerCode = 8;

    /// <summary>Default number of items whose FDEs train the codebooks.</summary>
    public const int DefaultTrainItems = 1000;

    /// <summary>FDE dimensions per 8-bit code; must divide the FDE length.</summary>
    public int DimsPerCode { get; init; } = DefaultDimsPerCode;

    /// <summary>
    /// The space trains its codebooks when it first holds this many items (at least 256, one per centroid), on their
    /// FDEs, under the collection's write lock: that write waits for the training.
    /// </summary>
    public int TrainItems { get; init; } = DefaultTrainItems;
}
