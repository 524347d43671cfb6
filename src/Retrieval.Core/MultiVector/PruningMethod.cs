namespace Retrieval.Core.MultiVector;

/// <summary>How <see cref="TokenPruner"/> reduces an item's token vectors (CRISP-style pruning, DESIGN §6).</summary>
public enum PruningMethod
{
    /// <summary>Keep every token.</summary>
    None,

    /// <summary>k-means to a fixed number of centroids (<see cref="PruningOptions.TargetCount"/>, k_d or k_q).</summary>
    KMeansFixed,

    /// <summary>k-means to ⌈ratio·n⌉ centroids (<see cref="PruningOptions.Ratio"/>).</summary>
    KMeansRatio,

    /// <summary>Hierarchical token pooling with Ward's linkage to ⌈n / pool factor⌉ cluster means.</summary>
    WardPooling,
}
