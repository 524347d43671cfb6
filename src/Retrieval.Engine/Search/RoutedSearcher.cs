using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Engine.Cluster;
using Retrieval.Engine.Collections;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Search;

/// <summary>
/// The search path when shards live in replicas (cluster mode, grains placement): validate and route every query here
/// (<see cref="QueryPlanner"/>, under the read lock, as on one node), send one request per shard through
/// <see cref="IRemoteShards"/>, merge each query's shard lists in <see cref="ShardFanOut"/>'s order (score, native
/// before mapped, item id) and render. A batch with a query the replicas do not answer yet (mixed search during a
/// migration, grouped results) is answered by this node's own shards through
/// <see cref="Searcher"/>: the node still holds them (docs/architecture.md, "Cluster mode").
/// </summary>
internal sealed class RoutedSearcher
{
    private readonly CollectionCatalog _catalog;
    private readonly EngineOptions _options;
    private readonly QueryPlanner _planner;
    private readonly Searcher _local;
    private readonly IRemoteShards _remote;

    public RoutedSearcher(CollectionCatalog catalog, EngineOptions options, Searcher local, IRemoteShards remote)
    {
        _catalog = catalog;
        _options = options;
        _planner = new QueryPlanner(options, new ResultGrouper(options));
        _local = local;
        _remote = remote;
    }

    /// <summary>Like <see cref="Searcher.Search"/>, through the shards' replicas.</summary>
    public async Task<SearchResult[]> SearchAsync(string collection, IReadOnlyList<SearchQuery> queries, FieldPath? batchField, CancellationToken cancellationToken)
    {
        if (queries.Count == 0 || queries.Count > _options.MaxSearchBatch)
        {
            return _local.Search(collection, queries, batchField); // it refuses both, as on one node
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = EngineTracing.Start("search", collection);
        activity?.SetTag(EngineTracing.SearchesTag, queries.Count);
        try
        {
            var state = _catalog.Get(collection);
            var planned = state.Read((Searcher: this, Queries: queries, BatchField: batchField), static (s, call) => call.Searcher.PlanLocked(s, call.Queries, call.BatchField));
            if (planned is null)
            {
                return _local.Search(collection, queries, batchField);
            }

            var (definition, applied, plans) = planned.Value;
            activity?.SetTag(EngineTracing.CollectionTag, definition.Name);
            RemoteShardAnswers answers;
            using (var fanOut = EngineTracing.Step("search.fan_out"))
            {
                fanOut?.SetTag(EngineTracing.ShardsTag, definition.Shards);
                answers = await _remote.SearchAsync(
                    definition.Name, definition.Replicas, Requests(definition, applied, plans), queries.All(q => q.AllowPartial), cancellationToken);
            }

            using (EngineTracing.Step("search.render"))
            {
                var results = new SearchResult[plans.Length];
                for (var i = 0; i < plans.Length; i++)
                {
                    results[i] = new SearchResult(Render(plans[i], Merge(answers, i, plans[i].Depth)), plans[i].MapsUsed) { MissingShards = answers.MissingShards };
                }

                return results;
            }
        }
        catch (Exception e) when (EngineTracing.Failed(activity, e))
        {
            throw;
        }
        finally
        {
            SearchMetrics.Searched(queries.Count, started);
        }
    }

    /// <summary>Plans every query, or null when one of them is answered only by this node's shards. Caller holds the read lock.</summary>
    private (CollectionDefinition Definition, long Applied, PlannedQuery[] Plans)? PlanLocked(CollectionState s, IReadOnlyList<SearchQuery> queries, FieldPath? batchField)
    {
        var plans = new PlannedQuery[queries.Count];
        for (var i = 0; i < plans.Length; i++)
        {
            var plan = plans[i] = _planner.Plan(s, queries[i], batchField?.Index(i) ?? FieldPath.Root);
            if (plan.Mixed is not null || !string.IsNullOrEmpty(plan.Query.GroupBy))
            {
                return null;
            }
        }

        return (s.Definition, s.AppliedSequence, plans);
    }

    private static List<ShardSearchRequest> Requests(CollectionDefinition definition, long applied, PlannedQuery[] plans)
    {
        var queries = new ShardQuery[plans.Length];
        for (var i = 0; i < plans.Length; i++)
        {
            var (plan, query) = (plans[i], plans[i].Query);
            queries[i] = new ShardQuery(plan.Space, plan.Vector, plan.Depth, query.Filter, query.EfSearch, query.NProbe, query.Exact, query.WithPayload, query.WithVectors)
            {
                Tokens = plan.Tokens?.Values.ToArray(),
                TokenDimension = plan.Tokens?.Dimension ?? 0,
                Candidates = plan.Candidates,
            };
        }

        var requests = new List<ShardSearchRequest>(definition.Shards);
        for (var shard = 0; shard < Math.Max(1, definition.Shards); shard++)
        {
            requests.Add(new ShardSearchRequest(definition.Name, shard, definition.Version, applied, queries));
        }

        return requests;
    }

    /// <summary>The best <paramref name="depth"/> hits of query <paramref name="query"/> over the shards that answered, in <see cref="ShardFanOut"/>'s order.</summary>
    private static List<ShardSearchHit> Merge(RemoteShardAnswers answers, int query, int depth)
    {
        var merged = new List<ShardSearchHit>();
        foreach (var response in answers.Responses.Values)
        {
            merged.AddRange(response.Hits[query]);
        }

        merged.Sort(static (a, b) =>
            b.Score != a.Score ? b.Score.CompareTo(a.Score)
            : a.Mapped != b.Mapped ? a.Mapped.CompareTo(b.Mapped)
            : string.CompareOrdinal(a.Id, b.Id));
        if (merged.Count > depth)
        {
            merged.RemoveRange(depth, merged.Count - depth);
        }

        return merged;
    }

    /// <summary>Drops the query's own item, applies offset and score threshold, as <see cref="Searcher"/> renders.</summary>
    private static List<SearchHit> Render(PlannedQuery plan, List<ShardSearchHit> merged)
    {
        var query = plan.Query;
        if (!string.IsNullOrEmpty(query.ItemId) && merged.FindIndex(hit => hit.Id == query.ItemId) is var own and >= 0)
        {
            merged.RemoveAt(own);
        }

        var end = Math.Min(merged.Count, query.Offset + query.K);
        var hits = new List<SearchHit>(Math.Max(0, end - query.Offset));
        for (var i = query.Offset; i < end; i++)
        {
            var hit = merged[i];
            if (query.ScoreThreshold is { } threshold && hit.Score < threshold)
            {
                break;
            }

            hits.Add(new SearchHit(hit.Id, hit.Score, hit.PayloadJson, hit.Vectors));
        }

        return hits;
    }
}
