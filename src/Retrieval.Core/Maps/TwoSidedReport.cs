namespace Retrieval.Core.Maps;

/// <summary>Which side of a two-sided pair a map is.</summary>
public enum TwoSidedRole
{
    /// <summary>New space → joint space: applied to queries (and to new-model vectors written later).</summary>
    Query = 1,

    /// <summary>Old space → joint space: applied once to every stored old vector by the re-projection.</summary>
    Gallery = 2,
}

/// <summary>How the regularization of a two-sided fit was decided.</summary>
public enum RegularizationChoice
{
    /// <summary>The request named it.</summary>
    Requested = 1,

    /// <summary>The candidate with the best joint-route score on the evaluation queries.</summary>
    EvaluationQueries = 2,

    /// <summary>No evaluation queries and no requested value: <see cref="TwoSidedOptions.FallbackRegularization"/>.</summary>
    Fallback = 3,
}

/// <summary>One regularization tried on the evaluation queries, with the joint route's score on the gate metric.</summary>
public sealed record RegularizationCandidate(double Regularization, double Score);

/// <summary>
/// Seconds and CPU-seconds of re-projecting stored old vectors through the gallery map, measured on
/// <see cref="Vectors"/> vectors, and the same per million vectors: what an operator weighs against re-embedding.
/// </summary>
public sealed record ReprojectionCost(int Vectors, double Seconds, double CpuSeconds)
{
    /// <summary>Wall seconds per million vectors.</summary>
    public double SecondsPerMillion => Vectors == 0 ? 0 : Seconds * 1e6 / Vectors;

    /// <summary>CPU seconds per million vectors (the measuring thread's user + system time).</summary>
    public double CpuSecondsPerMillion => Vectors == 0 ? 0 : CpuSeconds * 1e6 / Vectors;
}

/// <summary>The two-sided part of a <see cref="MapReport"/>: what both maps of a pair share, and which side this one is.</summary>
public sealed record TwoSidedReport
{
    /// <summary>This map's side.</summary>
    public required TwoSidedRole Role { get; init; }

    /// <summary>The id of the other map of the pair (filled by the registry when both are stored).</summary>
    public string? PairedMapId { get; init; }

    /// <summary>The collection space the pair maps into (filled by the registry).</summary>
    public string? JointSpace { get; init; }

    /// <summary>Dimension of the joint space.</summary>
    public required int JointDimension { get; init; }

    /// <summary>The covariance shrinkage used, as a multiple of the mean eigenvalue.</summary>
    public required double Regularization { get; init; }

    /// <summary>How <see cref="Regularization"/> was decided.</summary>
    public required RegularizationChoice RegularizationChosenBy { get; init; }

    /// <summary>Every regularization tried on the evaluation queries (empty unless chosen that way).</summary>
    public IReadOnlyList<RegularizationCandidate> Candidates { get; init; } = [];

    /// <summary>Canonical correlations of the fit anchors, largest first, one per joint dimension.</summary>
    public required IReadOnlyList<double> CanonicalCorrelations { get; init; }

    /// <summary>
    /// The one-sided peer on the same evaluation queries: canonical-Q fitted on the same fit anchors, searching the old
    /// gallery. Null without evaluation queries.
    /// </summary>
    public RetrievalScores? OneSided { get; init; }

    /// <summary>Measured cost of the gallery side over stored old vectors (filled by the registry); null when nothing was measured.</summary>
    public ReprojectionCost? Cost { get; init; }
}
