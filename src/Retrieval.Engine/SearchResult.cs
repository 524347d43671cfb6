using Retrieval.Core.Filtering;

namespace Retrieval.Engine;

/// <summary>
/// The hits of one search (best first) and the compatibility maps its query went through (empty when native). A
/// grouped search (<see cref="SearchQuery.GroupBy"/>) answers <see cref="Groups"/> instead, and <see cref="Hits"/> is empty.
/// </summary>
public sealed record SearchResult(IReadOnlyList<SearchHit> Hits, IReadOnlyList<string> MapsUsed)
{
    /// <summary>The groups of a grouped search, best group (by its best hit) first; null for an ungrouped search.</summary>
    public IReadOnlyList<SearchGroup>? Groups { get; init; }

    /// <summary>
    /// The shards left out of the hits: only with <see cref="SearchQuery.AllowPartial"/>, when no replica of them
    /// answered by the deadline (cluster mode with shard replicas). Empty whenever the hits cover every shard.
    /// </summary>
    public IReadOnlyList<int> MissingShards { get; init; } = [];
}

/// <summary>One group of a grouped search: the payload value the group shares and its hits, best first.</summary>
public sealed record SearchGroup(ScalarValue Key, IReadOnlyList<SearchHit> Hits);
