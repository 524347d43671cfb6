namespace Retrieval.Core.Maps;

/// <summary>
/// Training settings of the retrieval-trained adapter (<see cref="MapKind.RankingAdapter"/>). Every default is expressed
/// relative to the data (standardized inputs, temperature relative to the old vectors' RMS norm, rank relative to the
/// dimension), so the same values hold for any model pair.
/// </summary>
public sealed record RankingAdapterOptions
{
    /// <summary>Rank <c>r</c> of the residual <c>U·V</c> on top of the canonical-Q map; 0 means <c>max(8, min(d_n, d_o)/8)</c>. Default 0.</summary>
    public int Rank { get; init; }

    /// <summary>
    /// Softmax temperature τ of the InfoNCE loss on <c>⟨x̂/‖x̂‖, y⟩ / (τ·rms‖y‖)</c>: relative to the old vectors' RMS norm,
    /// so that for unit-length old vectors it is the usual cosine temperature. Default 0.05.
    /// </summary>
    public double Temperature { get; init; } = 0.05;

    /// <summary>Hard negatives per anchor: the old vectors of other fit anchors that score highest against its mapped vector. Default 16.</summary>
    public int HardNegatives { get; init; } = 16;

    /// <summary>Epochs between re-mining the hard negatives with the current map. Default 4.</summary>
    public int MineEvery { get; init; } = 4;

    /// <summary>Anchors per mini-batch; the other anchors of the batch are the in-batch negatives. Default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Adam step size on the standardized residual parameters (a relative change per step). Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Decoupled weight decay pulling the residual toward zero, i.e. toward the canonical-Q start. Default 1e-3.</summary>
    public double WeightDecay { get; init; } = 1e-3;

    /// <summary>Share of the fit anchors used for early stopping (never the report's held-out anchors). Default 0.1.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Upper bound on passes over the training anchors. Default 60.</summary>
    public int MaxEpochs { get; init; } = 60;

    /// <summary>Epochs without a validation improvement before training stops (best weights are kept). Default 5.</summary>
    public int Patience { get; init; } = 5;

    /// <summary>Wall-clock budget of the training loop in seconds; at the limit the best epoch so far is kept. Default 50.</summary>
    public double MaxSeconds { get; init; } = 50;
}
