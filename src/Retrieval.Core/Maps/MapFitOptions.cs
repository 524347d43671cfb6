using Retrieval.Core.Model;

namespace Retrieval.Core.Maps;

/// <summary>What to fit and how. Defaults are chosen to be data-scale free, not tuned to one model pair.</summary>
public sealed record MapFitOptions
{
    /// <summary>The kind of map to fit. Default <see cref="MapKind.CanonicalQ"/>.</summary>
    public MapKind Kind { get; init; } = MapKind.CanonicalQ;

    /// <summary>Share of anchors held out for the report, in <c>[0, 1)</c>. Default 0.2.</summary>
    public double HeldOutFraction { get; init; } = 0.2;

    /// <summary>Seed of the held-out split and of every random step of a fit. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// Relative ridge strength for <see cref="MapKind.Affine"/>:
    /// the absolute penalty is <c>α = Alpha · trace(X̃ₙᵀX̃ₙ) / d_n</c>, i.e. <c>Alpha</c> times the mean eigenvalue of the
    /// centred Gram matrix, so it does not depend on vector scale or anchor count. Default 1e-3.
    /// </summary>
    public double Alpha { get; init; } = 1e-3;

    /// <summary>
    /// Orthogonality weight λ of <see cref="MapKind.LambdaOrthogonal"/> in the scale-free objective
    /// <c>‖X̃ₙW − X̃ₒ‖²/‖X̃ₒ‖² + λ·‖WᵀW − I‖²/k</c> (<c>k = min(d_n, d_o)</c>). 0 is least squares; large λ approaches
    /// Procrustes. Default 1.
    /// </summary>
    public double Lambda { get; init; } = 1.0;

    /// <summary>Iteration cap of the λ-orthogonal L-BFGS solver. Default 2000.</summary>
    public int MaxIterations { get; init; } = 2000;

    /// <summary>The metric of the target (old) space: cosine turns on output re-normalization and cosine scoring. Default inner product.</summary>
    public Metric TargetMetric { get; init; } = Metric.InnerProduct;

    /// <summary>The metric the BCT gate compares. Default recall@10.</summary>
    public GateMetric GateMetric { get; init; } = GateMetric.RecallAt10;

    /// <summary>Training settings of <see cref="MapKind.ResidualMlp"/>.</summary>
    public ResidualMlpOptions Mlp { get; init; } = new();

    /// <summary>Training settings of <see cref="MapKind.RankingAdapter"/>.</summary>
    public RankingAdapterOptions Adapter { get; init; } = new();

    /// <summary>How <see cref="MapKind.Auto"/> chooses among the kinds.</summary>
    public AutoMapOptions Auto { get; init; } = new();

    /// <summary>Receives training progress of the iterative kinds (the ranking adapter); null for none.</summary>
    public IProgress<MapFitProgress>? Progress { get; init; }

    /// <summary>The supplied map for <see cref="MapKind.External"/>; required for that kind, ignored otherwise.</summary>
    public CompatibilityMap? External { get; init; }
}
