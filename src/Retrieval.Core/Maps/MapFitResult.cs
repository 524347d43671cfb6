namespace Retrieval.Core.Maps;

/// <summary>A fitted map with its report.</summary>
/// <param name="Map">The map, fitted on the fit share of the anchors.</param>
/// <param name="Report">Its evaluation.</param>
public sealed record MapFitResult(CompatibilityMap Map, MapReport Report);
