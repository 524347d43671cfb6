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
    private readonly ResultGrouper _grouper;

    public Searcher(CollectionCatalog catalog, EngineOptions options, IndexingOptions indexing)
    {
        _catalog = catalog;
        _options = options;
        _grouper = new ResultGrouper(options);
        _planner = new QueryPlanner(options, _grouper);
        _fanOut = new ShardFanOut(indexing);
    }

    /// <summary>
    /// Runs <paramref name="queries"/> against one collection. <paramref name="batchField"/> is the repeated field
    /// that holds the queries in a batch request (<c>searches</c>), which errors name; null for a single search, whose
    /// fields sit at the top of its request.
    /// </summary>
    public SearchResult[] Search(string collection, IReadOnlyList<SearchQuery> queries, FieldPath? batchField)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return SearchTraced(collection, queries, batchField);
        }
        finally
        {
            SearchMetrics.Searched(queries.Count, started);
        }
    }

    /// <summary>
    /// Whether <paramref name="query"/>, searched in a batch with others of its space and depth, gets the batch kernel's
    /// identical answer: a dense, unfiltered, ungrouped query by vector, no target space, on a dense space that no shard
    /// has sealed and no migration mixes. A hint for <see cref="SearchMicroBatcher"/>: the batch path decides again
    /// under the read lock, and answers the same either way. False for anything the single search would refuse, so
    /// that it reports the error.
    /// </summary>
    public bool SharesBatchKernel(string collection, SearchQuery query)
    {
        if (query.Filter is not null || query.Rows is not null || !string.IsNullOrEmpty(query.ItemId)
            || !string.IsNullOrEmpty(query.GroupBy) || !string.IsNullOrEmpty(query.TargetSpace) || string.IsNullOrEmpty(collection))
        {
            return false;
        }

        CollectionState state;
        try
        {
            state = _catalog.Get(collection);
        }
        catch (RetrievalException)
        {
            return false;
        }

        return state.Read(s =>
        {
            var name = string.IsNullOrEmpty(query.Space) ? s.Definition.DefaultSpace : query.Space;
            if (s.Migration is not null || s.Definition.FindSpace(name) is not { IsMulti: false })
            {
                return false;
            }

            for (var i = 0; i < s.Shards.Count; i++)
            {
                if (s.Shards[i].GetSpace(name).Sealed.Count > 0)
                {
                    return false;
                }
            }

            return true;
        });
    }

    private SearchResult[] SearchTraced(string collection, IReadOnlyList<SearchQuery> queries, FieldPath? batchField)
    {
        using var activity = EngineTracing.Start("search", collection);
        activity?.SetTag(EngineTracing.SearchesTag, queries.Count);
        if (queries.Count > 0 && !string.IsNullOrEmpty(queries[0].Space))
        {
            activity?.SetTag(EngineTracing.SpaceTag, queries[0].Space);
        }

        try
        {
            return SearchUnderReadLock(collection, queries, batchField, activity);
        }
        catch (Exception e) when (EngineTracing.Failed(activity, e))
        {
            throw;
        }
    }

    private SearchResult[] SearchUnderReadLock(string collection, IReadOnlyList<SearchQuery> queries, FieldPath? batchField, System.Diagnostics.Activity? activity)
    {
        if (queries.Count == 0 && batchField is not null)
        {
            throw RetrievalException.Invalid(batchField, "at least one search is required");
        }

        if (queries.Count > _options.MaxSearchBatch)
        {
            throw RetrievalException.Invalid(batchField ?? FieldPath.Root, $"{queries.Count} searches exceed the limit of {_options.MaxSearchBatch}");
        }

        var state = _catalog.Get(collection);
        activity?.SetTag(EngineTracing.CollectionTag, state.Definition.Name);
        return state.Read((Searcher: this, Queries: queries, BatchField: batchField), static (s, call) => call.Searcher.SearchLocked(s, call.Queries, call.BatchField));
    }

    /// <summary>Plans, fans out and renders every query. Caller holds the read lock.</summary>
    private SearchResult[] SearchLocked(CollectionState s, IReadOnlyList<SearchQuery> queries, FieldPath? batchField)
    {
        var plans = new PlannedQuery[queries.Count];
        using (EngineTracing.Step("search.plan"))
        {
            for (var i = 0; i < queries.Count; i++)
            {
                plans[i] = _planner.Plan(s, queries[i], batchField?.Index(i) ?? FieldPath.Root);
            }
        }

        List<ShardHit>[] hits;
        using (var fanOut = EngineTracing.Step("search.fan_out"))
        {
            fanOut?.SetTag(EngineTracing.ShardsTag, s.Shards.Count);
            hits = _fanOut.Run(s, plans);
        }

        using (EngineTracing.Step("search.render"))
        {
            var results = new SearchResult[plans.Length];
            for (var i = 0; i < plans.Length; i++)
            {
                var plan = plans[i];
                results[i] = plan.Query.GroupBy is { Length: > 0 }
                    ? new SearchResult([], plan.MapsUsed) { Groups = Group(s, plan, hits[i]) }
                    : new SearchResult(Render(s, plan, hits[i]), plan.MapsUsed);
            }

            return results;
        }
    }

    // Its own method: the lambda's closure is allocated only for grouped searches. Deeper rounds run under the same read lock.
    private IReadOnlyList<SearchGroup> Group(CollectionState s, PlannedQuery plan, List<ShardHit> hits)
    {
        IReadOnlyList<SearchGroup>? groups;
        while ((groups = _grouper.TryGroup(plan, hits, hit => ToHit(plan, hit), out var deeper)) is null)
        {
            plan = deeper;
            hits = _fanOut.Run(s, [deeper])[0];
        }

        return groups;
    }

    /// <summary>Applies offset and score threshold, and reads what the query asked to see. Caller holds the read lock.</summary>
    private static List<SearchHit> Render(CollectionState state, PlannedQuery plan, List<ShardHit> merged)
    {
        var query = plan.Query;
        ItemQuery.Exclude(merged, query.ItemId, query.Offset + query.K);
        var hits = new List<SearchHit>(Math.Max(0, merged.Count - query.Offset));
        long mapped = 0;
        for (var i = query.Offset; i < merged.Count; i++)
        {
            var hit = merged[i];
            if (query.ScoreThreshold is { } threshold && hit.Score < threshold)
            {
                break;
            }

            mapped += hit.Mapped ? 1 : 0;
            hits.Add(ToHit(plan, hit));
        }

        if (plan.Mixed is not null)
        {
            MigrationMetrics.MixedSearch(state.Definition.Name, hits.Count - mapped, mapped);
        }

        return hits;
    }

    /// <summary>A hit as answered: what the query asked to see of its item. Caller holds the read lock.</summary>
    private static SearchHit ToHit(PlannedQuery plan, ShardHit hit)
    {
        var item = hit.Shard.Items[hit.Slot]!;
        return new SearchHit(
            item.Id,
            hit.Score,
            plan.Query.WithPayload ? item.PayloadJson : null,
            plan.Query.WithVectors ? hit.Shard.VectorsOf(hit.Slot) : null,
            plan.Mixed is null ? null : hit.Mapped ? SearchPaths.Mapped : SearchPaths.Native);
    }
}
