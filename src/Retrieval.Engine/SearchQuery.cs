using Retrieval.Core.Filtering;

namespace Retrieval.Engine;

/// <summary>
/// One nearest-neighbour query. <see cref="Space"/> null or empty means the collection's default space.
/// <see cref="TargetSpace"/> null or empty means the query space (see <c>QueryRouter</c> for the implicit case).
/// <see cref="EfSearch"/> and <see cref="NProbe"/> tune approximate indexes (0: the configured default);
/// <see cref="Exact"/> scans every segment exactly (a multi-vector space: scores every item by exact Chamfer).
/// A multi-vector space is queried with <see cref="Rows"/> (token vectors) instead of <see cref="Vector"/>.
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
    bool Exact = false)
{
    /// <summary>The query's token vectors, for a multi-vector space; null for a dense query.</summary>
    public IReadOnlyList<float[]>? Rows { get; init; }

    /// <summary>Multi-vector spaces: K', the FDE shortlist reranked by exact Chamfer; 0 uses the space's default.</summary>
    public int Candidates { get; init; }

    /// <summary>
    /// Search by item: the query vector (or token rows) is this item's stored vector in <see cref="Space"/>, and the
    /// item itself is left out of the hits. Replaces <see cref="Vector"/>/<see cref="Rows"/>, which must then be empty.
    /// </summary>
    public string? ItemId { get; init; }

    /// <summary>
    /// Groups hits by this payload key (a dotted path, like filter keys): <see cref="K"/> is then the number of
    /// groups and <see cref="GroupSize"/> the hits per group; items without a string, number or boolean at the key
    /// are left out, and an array value puts the item in the group of each element.
    /// </summary>
    public string? GroupBy { get; init; }

    /// <summary>Hits per group when <see cref="GroupBy"/> is set; 0 means 1.</summary>
    public int GroupSize { get; init; }

    /// <summary>
    /// Cluster mode with shard replicas: answer with the shards that answered when some have no live replica by the
    /// deadline, listing the others in <see cref="SearchResult.MissingShards"/>, instead of failing UNAVAILABLE.
    /// No effect where this node holds every shard.
    /// </summary>
    public bool AllowPartial { get; init; }
}
