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
    private readonly ResultGrouper _grouper;

    public QueryPlanner(EngineOptions options, ResultGrouper grouper)
    {
        _options = options;
        _grouper = grouper;
    }

    /// <summary>Caller holds the collection's read lock. <paramref name="field"/> is where the query sits in its request (the root for a single search).</summary>
    public PlannedQuery Plan(CollectionState state, SearchQuery query, FieldPath field)
    {
        var spaceName = string.IsNullOrEmpty(query.Space) ? state.Definition.DefaultSpace : query.Space;
        var definition = state.Definition.FindSpace(spaceName)
            ?? throw RetrievalException.Invalid(field.Member("space"), $"unknown space '{spaceName}' in collection '{state.Definition.Name}'");
        if (query.K < 1 || query.K > _options.MaxK)
        {
            throw RetrievalException.Invalid(field.Member("k"), $"must be between 1 and {_options.MaxK}, got {query.K}");
        }

        if (query.Offset < 0 || (long)query.Offset + query.K > _options.MaxK)
        {
            throw RetrievalException.Invalid(field.Member("offset"), $"must be ≥ 0 with offset + k ≤ {_options.MaxK}");
        }

        if (query.EfSearch is < 0 or > MaxEfSearch)
        {
            throw RetrievalException.Invalid(field.Member("efSearch"), $"must be between 0 (the default) and {MaxEfSearch}, got {query.EfSearch}");
        }

        if (query.NProbe is < 0 or > IndexSpec.MaxNList)
        {
            throw RetrievalException.Invalid(field.Member("nprobe"), $"must be between 0 (the default) and {IndexSpec.MaxNList}, got {query.NProbe}");
        }

        if (query.ScoreThreshold is { } threshold && !float.IsFinite(threshold))
        {
            throw RetrievalException.Invalid(field.Member("scoreThreshold"), "must be a finite number");
        }

        _grouper.Validate(query, field);
        query = ItemQuery.Resolve(state, query, definition, field);
        // An empty filter is no filter; a copy of the query only then (the common query has none).
        var filtered = query.Filter is { IsEmpty: true } ? query with { Filter = null } : query;
        if (definition.IsMulti)
        {
            return PlanMultiVector(state, definition, filtered, field);
        }

        if (query.Rows is not null)
        {
            throw RetrievalException.Invalid(field.Member("vector").Member("values"), $"space '{spaceName}' is dense: send one vector as values, not rows");
        }

        var vector = VectorValidator.Validate(query.Vector, definition, field.Member("vector"));

        // During a migration, queries of the new space search natively where backfilled and through the map elsewhere.
        if (MixedSearch.Applies(state, definition, query.TargetSpace))
        {
            return new PlannedQuery(filtered, spaceName, vector, Depth(query), [state.Migration!.Row.MapId!]) { Mixed = state.Migration };
        }

        // Compatibility routing: the query may search another space through active maps or a declared prefix.
        var routed = QueryRouter.Route(state, definition, query.TargetSpace, vector, field);
        return new PlannedQuery(filtered, routed?.Space ?? spaceName, routed?.Vector ?? vector, Depth(query), routed?.MapsUsed ?? []);
    }

    /// <summary>Hits to fetch: offset + k, or a grouped search's first depth; one more when the query's own item is dropped.</summary>
    private int Depth(SearchQuery query) =>
        (string.IsNullOrEmpty(query.GroupBy) ? query.Offset + query.K : _grouper.InitialDepth(query)) + (string.IsNullOrEmpty(query.ItemId) ? 0 : 1);

    private PlannedQuery PlanMultiVector(CollectionState state, SpaceDefinition definition, SearchQuery query, FieldPath field)
    {
        if (!string.IsNullOrEmpty(query.TargetSpace) && query.TargetSpace != definition.Name)
        {
            throw RetrievalException.Invalid(field.Member("targetSpace"), $"space '{definition.Name}' is multi-vector; compatibility routing applies to dense spaces only");
        }

        if (query.Candidates < 0 || query.Candidates > _options.MaxCandidates)
        {
            throw RetrievalException.Invalid(field.Member("candidates"), $"must be between 0 (the space's default) and {_options.MaxCandidates}, got {query.Candidates}");
        }

        if (query.Rows is null && query.Vector.Length > 0)
        {
            throw RetrievalException.Invalid(field.Member("vector").Member("rows"), $"space '{definition.Name}' is multi-vector: send the query's token vectors as rows, not values");
        }

        var rows = MultiVectorValidator.Validate(query.Rows, definition, field.Member("vector"));
        // Every shard's index of the space shares its settings and encoder: the first one prepares the query.
        var multi = state.Shards[0].GetMultiVectorSpace(definition.Name);
        return new PlannedQuery(query, definition.Name, [], Depth(query), [])
        {
            Tokens = multi.PrepareQuery(rows),
            Candidates = query.Candidates > 0 ? query.Candidates : multi.Settings.Candidates,
        };
    }
}
