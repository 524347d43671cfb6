using Retrieval.Core.Errors;
using Retrieval.Engine.Collections;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Search;

/// <summary>
/// The search path: validate → route through maps → fan out over shards → merge → render. The service calls it once
/// per search or search batch; it returns the hits and the maps each query went through. Every query of a batch sees
/// the same state: they run under one read lock.
/// </summary>
internal sealed class Searcher
{
    private readonly CollectionCatalog _catalog;
    private readonly EngineOptions _options;
    private readonly QueryPlanner _planner;
    private readonly ShardFanOut _fanOut;

    public Searcher(CollectionCatalog catalog, EngineOptions options, IndexingOptions indexing)
    {
        _catalog = catalog;
        _options = options;
        _planner = new QueryPlanner(options);
        _fanOut = new ShardFanOut(indexing);
    }

    /// <summary>
    /// Runs <paramref name="queries"/> against one collection. <paramref name="fieldPrefix"/> names the batch field in
    /// errors ("searches"); empty for a single search, whose fields are named without a prefix.
    /// </summary>
    public SearchResult[] Search(string collection, IReadOnlyList<SearchQuery> queries, string fieldPrefix)
    {
        if (queries.Count == 0 && fieldPrefix.Length > 0)
        {
            throw RetrievalException.Invalid(fieldPrefix, "at least one search is required");
        }

        if (queries.Count > _options.MaxSearchBatch)
        {
            throw RetrievalException.Invalid(fieldPrefix, $"{queries.Count} searches exceed the limit of {_options.MaxSearchBatch}");
        }

        var state = _catalog.Get(collection);
        return state.Read(s =>
        {
            var plans = new PlannedQuery[queries.Count];
            for (var i = 0; i < queries.Count; i++)
            {
                plans[i] = _planner.Plan(s, queries[i], fieldPrefix.Length == 0 ? "" : $"{fieldPrefix}[{i}].");
            }

            var hits = _fanOut.Run(s, plans);
            return plans.Select((plan, i) => new SearchResult(Render(s, plan, hits[i]), plan.MapsUsed)).ToArray();
        });
    }

    /// <summary>Applies offset and score threshold, and reads what the query asked to see. Caller holds the read lock.</summary>
    private static List<SearchHit> Render(CollectionState state, PlannedQuery plan, List<ShardHit> merged)
    {
        var query = plan.Query;
        var hits = new List<SearchHit>(Math.Max(0, merged.Count - query.Offset));
        long mapped = 0;
        for (var i = query.Offset; i < merged.Count; i++)
        {
            var hit = merged[i];
            if (query.ScoreThreshold is { } threshold && hit.Score < threshold)
            {
                break;
            }

            var item = hit.Shard.Items[hit.Slot]!;
            mapped += hit.Mapped ? 1 : 0;
            hits.Add(new SearchHit(
                item.Id,
                hit.Score,
                query.WithPayload ? item.PayloadJson : null,
                query.WithVectors ? hit.Shard.VectorsOf(hit.Slot) : null,
                plan.Mixed is null ? null : hit.Mapped ? SearchPaths.Mapped : SearchPaths.Native));
        }

        if (plan.Mixed is not null)
        {
            MigrationMetrics.MixedSearch(state.Definition.Name, hits.Count - mapped, mapped);
        }

        return hits;
    }
}
