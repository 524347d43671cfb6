namespace Retrieval.Engine;

/// <summary>The hits of one search (best first) and the compatibility maps its query went through (empty when native).</summary>
public sealed record SearchResult(IReadOnlyList<SearchHit> Hits, IReadOnlyList<string> MapsUsed);
