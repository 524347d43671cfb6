namespace Retrieval.Core.Storage;

/// <summary>An item as the store of record holds it: payload JSON object text and every vector by space.</summary>
public sealed record StoredItem(string Id, string PayloadJson, IReadOnlyDictionary<string, float[]> Vectors, long Sequence);
