using Retrieval.Core.Filtering;

namespace Retrieval.Engine;

/// <summary>
/// One nearest-neighbour query. <see cref="Space"/> null or empty means the collection's default space.
/// <see cref="TargetSpace"/> null or empty means the query space (see <c>QueryRouter</c> for the implicit case).
/// <see cref="EfSearch"/> and <see cref="NProbe"/> tune approximate indexes (0: the configured default);
/// <see cref="Exact"/> scans every segment exactly.
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
    string? TargetSpace = null,
    int EfSearch = 0,
    int NProbe = 0,
    bool Exact = false);
