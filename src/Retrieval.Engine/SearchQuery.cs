using Retrieval.Core.Filtering;

namespace Retrieval.Engine;

/// <summary>
/// One nearest-neighbour query. <see cref="Space"/> null or empty means the collection's default space.
/// </summary>
public sealed record SearchQuery(
    string? Space,
    float[] Vector,
    int K,
    PayloadFilter? Filter = null,
    bool WithPayload = false,
    bool WithVectors = false,
    float? ScoreThreshold = null,
    int Offset = 0);
