namespace Retrieval.Engine;

/// <summary>An item as the engine returns it. <see cref="Vectors"/> is null unless requested.</summary>
public sealed record ItemView(string Id, string PayloadJson, IReadOnlyDictionary<string, float[]>? Vectors);
