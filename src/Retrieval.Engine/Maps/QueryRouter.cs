using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Maps;

/// <summary>
/// Decides where a query searches. Explicit: a <c>targetSpace</c> other than the query space goes through the declared
/// compatible prefix or the shortest active map path, else FAILED_PRECONDITION. Implicit: a query of a space with no vectors
/// at all goes to the nearest space reachable that way which has vectors; any other query stays native (null).
/// </summary>
internal static class QueryRouter
{
    /// <summary>Caller holds the collection's read lock; <paramref name="vector"/> is already validated for the query space.</summary>
    public static RoutedQuery? Route(CollectionState state, SpaceDefinition querySpace, string? targetSpace, float[] vector, FieldPath field)
    {
        var definition = state.Definition;
        if (!string.IsNullOrEmpty(targetSpace) && definition.FindSpace(targetSpace) is null)
        {
            throw RetrievalException.Invalid(field.Member("targetSpace"), $"unknown space '{targetSpace}' in collection '{definition.Name}'");
        }

        if (string.IsNullOrEmpty(targetSpace) || targetSpace == querySpace.Name)
        {
            // Implicit routing only when the query space cannot answer at all: a partly filled space is the migrations
            // issue's mixed search, and silently mapping a normal query would change results behind the caller's back.
            if (!string.IsNullOrEmpty(targetSpace) || HasVectors(state, querySpace.Name))
            {
                return null;
            }
        }

        return RouteAway(state, querySpace, targetSpace, vector);
    }

    // The native query (nearly every search) returns above without the closure below, which is allocated on entry.
    private static RoutedQuery? RouteAway(CollectionState state, SpaceDefinition querySpace, string? targetSpace, float[] vector)
    {
        var definition = state.Definition;
        bool IsTarget(string space) => definition.FindSpace(space) is { IsMulti: false } && space != querySpace.Name
            && (string.IsNullOrEmpty(targetSpace) ? state.CountIn(space) > 0 : space == targetSpace);

        if (querySpace.CompatiblePrefixOf is { } prefixOf && IsTarget(prefixOf))
        {
            var old = definition.FindSpace(prefixOf)!;
            var head = vector.AsSpan(0, old.Dimension).ToArray();
            if (querySpace.RenormalizePrefix || old.Metric == Metric.Cosine)
            {
                MapRoute.Normalize(head);
            }

            return new RoutedQuery(old.Name, head, []);
        }

        var route = state.Maps.FindRoute(querySpace.Name, IsTarget);
        if (route is null)
        {
            return string.IsNullOrEmpty(targetSpace)
                ? null
                : throw RetrievalException.Precondition($"no active compatibility map path from space '{querySpace.Name}' to space '{targetSpace}' in collection '{definition.Name}'; fit and activate a map first");
        }

        var target = definition.FindSpace(route.TargetSpace)!;
        var mapped = route.Apply(vector, target.Metric == Metric.Cosine);
        if (mapped.Length != target.Dimension)
        {
            throw RetrievalException.Precondition($"the map path {string.Join(" → ", route.MapIds)} produces {mapped.Length} values but space '{target.Name}' has dimension {target.Dimension}");
        }

        return new RoutedQuery(target.Name, mapped, route.MapIds);
    }

    private static bool HasVectors(CollectionState state, string space)
    {
        var shards = state.Shards;
        for (var i = 0; i < shards.Count; i++)
        {
            if (shards[i].CountIn(space) > 0)
            {
                return true;
            }
        }

        return false;
    }
}
