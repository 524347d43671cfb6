using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Maps;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.State;
using Retrieval.Engine.Validation;

namespace Retrieval.Engine.Search;

/// <summary>
/// The first two steps of a search: validate the query against the collection, then route it (native, through a
/// declared prefix or active maps to another space, or mixed during a migration). The plan names spaces, not shard
/// indexes: the fan-out resolves them in each shard.
/// </summary>
internal sealed class QueryPlanner
{
    /// <summary>Largest efSearch a request may ask for.</summary>
    public const int MaxEfSearch = 65536;

    private readonly EngineOptions _options;

    public QueryPlanner(EngineOptions options) => _options = options;

    /// <summary>Caller holds the collection's read lock. <paramref name="prefix"/> is the query's field path in a batch.</summary>
    public PlannedQuery Plan(CollectionState state, SearchQuery query, string prefix)
    {
        var spaceName = string.IsNullOrEmpty(query.Space) ? state.Definition.DefaultSpace : query.Space;
        var definition = state.Definition.FindSpace(spaceName)
            ?? throw RetrievalException.Invalid($"{prefix}space", $"unknown space '{spaceName}' in collection '{state.Definition.Name}'");
        if (query.K < 1 || query.K > _options.MaxK)
        {
            throw RetrievalException.Invalid($"{prefix}k", $"must be between 1 and {_options.MaxK}, got {query.K}");
        }

        if (query.Offset < 0 || (long)query.Offset + query.K > _options.MaxK)
        {
            throw RetrievalException.Invalid($"{prefix}offset", $"must be ≥ 0 with offset + k ≤ {_options.MaxK}");
        }

        if (query.EfSearch is < 0 or > MaxEfSearch)
        {
            throw RetrievalException.Invalid($"{prefix}efSearch", $"must be between 0 (the default) and {MaxEfSearch}, got {query.EfSearch}");
        }

        if (query.NProbe is < 0 or > IndexSpec.MaxNList)
        {
            throw RetrievalException.Invalid($"{prefix}nprobe", $"must be between 0 (the default) and {IndexSpec.MaxNList}, got {query.NProbe}");
        }

        if (query.ScoreThreshold is { } threshold && !float.IsFinite(threshold))
        {
            throw RetrievalException.Invalid($"{prefix}scoreThreshold", "must be a finite number");
        }

        var filtered = query with { Filter = query.Filter is { IsEmpty: false } f ? f : null };
        if (definition.IsMulti)
        {
            return PlanMultiVector(state, definition, filtered, prefix);
        }

        if (query.Rows is not null)
        {
            throw RetrievalException.Invalid($"{prefix}vector.values", $"space '{spaceName}' is dense: send one vector as values, not rows");
        }

        var vector = VectorValidator.Validate(query.Vector, definition, $"{prefix}vector");

        // During a migration, queries of the new space search natively where backfilled and through the map elsewhere.
        if (MixedSearch.Applies(state, definition, query.TargetSpace))
        {
            return new PlannedQuery(filtered, spaceName, vector, query.Offset + query.K, [state.Migration!.Row.MapId!]) { Mixed = state.Migration };
        }

        // Compatibility routing: the query may search another space through active maps or a declared prefix.
        var routed = QueryRouter.Route(state, definition, query.TargetSpace, vector, prefix);
        return new PlannedQuery(filtered, routed?.Space ?? spaceName, routed?.Vector ?? vector, query.Offset + query.K, routed?.MapsUsed ?? []);
    }

    private PlannedQuery PlanMultiVector(CollectionState state, SpaceDefinition definition, SearchQuery query, string prefix)
    {
        if (!string.IsNullOrEmpty(query.TargetSpace) && query.TargetSpace != definition.Name)
        {
            throw RetrievalException.Invalid($"{prefix}targetSpace", $"space '{definition.Name}' is multi-vector; compatibility routing applies to dense spaces only");
        }

        if (query.Candidates < 0 || query.Candidates > _options.MaxCandidates)
        {
            throw RetrievalException.Invalid($"{prefix}candidates", $"must be between 0 (the space's default) and {_options.MaxCandidates}, got {query.Candidates}");
        }

        if (query.Rows is null && query.Vector.Length > 0)
        {
            throw RetrievalException.Invalid($"{prefix}vector.rows", $"space '{definition.Name}' is multi-vector: send the query's token vectors as rows, not values");
        }

        var rows = MultiVectorValidator.Validate(query.Rows, definition, $"{prefix}vector");
        // Every shard's index of the space shares its settings and encoder: the first one prepares the query.
        var multi = state.Shards[0].GetMultiVectorSpace(definition.Name);
        return new PlannedQuery(query, definition.Name, [], query.Offset + query.K, [])
        {
            Tokens = multi.PrepareQuery(rows),
            Candidates = query.Candidates > 0 ? query.Candidates : multi.Settings.Candidates,
        };
    }
}
