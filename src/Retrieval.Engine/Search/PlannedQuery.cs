using Retrieval.Core.MultiVector;
using Retrieval.Engine.Migrations;

namespace Retrieval.Engine.Search;

/// <summary>
/// A validated, routed query: the space it searches (after routing), the vector it searches with, how many hits to
/// fetch (offset + k) and the maps it went through.
/// </summary>
internal sealed record PlannedQuery(SearchQuery Query, string Space, float[] Vector, int Depth, IReadOnlyList<string> MapsUsed)
{
    /// <summary>Set when the query is answered by mixed search (native + mapped, merged) during this migration.</summary>
    public MigrationRuntime? Mixed { get; init; }

    /// <summary>
    /// Set on a shard replica for a mixed query routed to it: the migration's part as the receiving node sent it, with
    /// the shard's derived items (the replica holds no <see cref="MigrationRuntime"/>).
    /// </summary>
    public RoutedMixedQuery? RoutedMixed { get; init; }

    /// <summary>The query's token vectors as searched (after k_q pruning and ball carving); set for a multi-vector query.</summary>
    public TokenMatrix? Tokens { get; init; }

    /// <summary>K' of a multi-vector query.</summary>
    public int Candidates { get; init; }
}
