namespace Retrieval.Core.Maps;

/// <summary>Anchors split into the part a map is fitted on and the part its report is measured on.</summary>
/// <param name="Fit">Anchors used for fitting.</param>
/// <param name="HeldOut">Anchors kept for evaluation.</param>
public sealed record AnchorSplit(AnchorSet Fit, AnchorSet HeldOut);
