namespace Retrieval.Core.Maps;

/// <summary>Training settings of the residual MLP map (<see cref="MapKind.ResidualMlp"/>).</summary>
public sealed record ResidualMlpOptions
{
    /// <summary>Hidden width <c>h</c>; 0 means <c>d_out</c>. Default 0.</summary>
    public int Hidden { get; init; }

    /// <summary>Share of the fit anchors used for early stopping (never the report's held-out anchors). Default 0.1.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Upper bound on passes over the training anchors. Default 200.</summary>
    public int MaxEpochs { get; init; } = 200;

    /// <summary>Epochs without a validation improvement before training stops (best weights are kept). Default 10.</summary>
    public int Patience { get; init; } = 10;

    /// <summary>Adam step size on standardized data. Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Mini-batch size. Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Decoupled weight decay (AdamW) pulling the weights toward their start (the Procrustes linear part; zero for the residual). Default 1e-4.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>
    /// Wall-clock budget of the training loop in seconds, checked after each epoch; at the limit the best epoch so far is
    /// kept. Default: none (the epoch cap and early stopping end training). <see cref="AutoMapSelector"/> sets it.
    /// </summary>
    public double MaxSeconds { get; init; } = double.PositiveInfinity;
}
