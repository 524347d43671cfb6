namespace Retrieval.Engine.Maps;

/// <summary>A query moved into another space: the space to search, the vector in it, and the maps it went through.</summary>
internal sealed record RoutedQuery(string Space, float[] Vector, IReadOnlyList<string> MapsUsed);
