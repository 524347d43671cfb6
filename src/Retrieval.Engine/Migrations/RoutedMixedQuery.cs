using Retrieval.Core.Search;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// A mixed query as a shard replica runs it: the replica does not follow the collection's migration, so the receiving
/// node sends the migration's part (<see cref="MixedSearch.MixedQuery"/>) and the shard's derived items, from which
/// the replica builds the shard's two sides (<see cref="RoutedMixedSides"/>, shared by the mixed queries of a request).
/// </summary>
internal sealed record RoutedMixedQuery(MixedSearch.MixedQuery Query, RoutedMixedSides Sides);

/// <summary>
/// The native and mapped sides of mixed search in a replica's shard, built from the derived items a request carries;
/// built once per request and shared by its queries (which may run in parallel).
/// </summary>
internal sealed class RoutedMixedSides(IReadOnlySet<string> derived)
{
    private readonly Lock _sync = new();
    private readonly Dictionary<(Shard, string, string), (RowFilter Native, RowFilter Mapped)> _built = [];

    /// <summary>The shard's sides for a migration from <paramref name="fromSpace"/> to <paramref name="toSpace"/> (<see cref="MixedSearch.Sides"/>). Caller holds a read lock.</summary>
    public (RowFilter Native, RowFilter Mapped) Of(Shard shard, string fromSpace, string toSpace)
    {
        lock (_sync)
        {
            if (!_built.TryGetValue((shard, fromSpace, toSpace), out var sides))
            {
                sides = MixedSearch.Sides(shard, fromSpace, toSpace, derived.Contains);
                _built.Add((shard, fromSpace, toSpace), sides);
            }

            return sides;
        }
    }
}
