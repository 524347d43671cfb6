namespace Retrieval.Engine;

/// <summary>A search result, best first; payload and vectors only when requested.</summary>
public sealed record SearchHit(string Id, float Score, string? PayloadJson, IReadOnlyDictionary<string, float[]>? Vectors);
