using Retrieval.Core.Filtering;

namespace Retrieval.Engine;

/// <summary>
/// One nearest-neighbour query. <see cref="Space"/> null or empty means the collection's default space.
/// <see cref="TargetSpace"/> null or empty means the query space (see <c>QueryRouter</c> for the implicit case).
/// </summary>
public sealed record SearchQuery(
    string? Space,
    float[] Vector,
    int K,
    PayloadFilter? Filter = null,
    bool WithPayload = false,
    bool WithVectors = false,
    float? ScoreThreshold = null,
    int Offset = 0,
    string? TargetSpace = null);
