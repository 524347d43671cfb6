namespace Retrieval.Engine;

/// <summary>
/// A search result, best first; payload and vectors only when requested. <see cref="Path"/> is set by mixed search during
/// a migration: <c>native</c> (scored on the item's new vector) or <c>mapped</c> (its old vector, through the map).
/// </summary>
public sealed record SearchHit(string Id, float Score, string? PayloadJson, IReadOnlyDictionary<string, float[]>? Vectors, string? Path = null);
