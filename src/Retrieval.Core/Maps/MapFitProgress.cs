namespace Retrieval.Core.Maps;

/// <summary>One epoch of an iterative map fit, as reported to <see cref="MapFitOptions.Progress"/>.</summary>
/// <param name="Kind">The kind being fitted.</param>
/// <param name="Epoch">Epochs completed (0 = the starting map).</param>
/// <param name="MaxEpochs">The epoch cap.</param>
/// <param name="ValidationLoss">The early-stopping loss on the validation share after this epoch.</param>
/// <param name="ValidationRecallAt1">Identification recall@1 of the validation anchors among all fit anchors' old vectors.</param>
/// <param name="BestEpoch">The epoch whose weights are kept so far.</param>
/// <param name="Elapsed">Time since the fit started.</param>
public sealed record MapFitProgress(MapKind Kind, int Epoch, int MaxEpochs, double ValidationLoss, double ValidationRecallAt1, int BestEpoch, TimeSpan Elapsed);
