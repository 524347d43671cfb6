using System.Text.Json;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Engine.Cluster;
using Retrieval.Engine.Collections;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Search;

/// <summary>
/// The search path when shards live in replicas (cluster mode, grains placement): validate and route every query here
/// (<see cref="QueryPlanner"/>, under the read lock, as on one node), send one request per shard through
/// <see cref="IRemoteShards"/>, merge each query's shard lists in <see cref="ShardFanOut"/>'s order (score, native
/// before mapped, item id) and render. A mixed query (during a migration) carries the migration's part and each shard's
/// derived items in its request; a grouped query reads deeper through further fan-outs of that query alone.
/// </summary>
internal sealed class RoutedSearcher
{
    private readonly CollectionCatalog _catalog;
    private readonly EngineOptions _options;
    private readonly QueryPlanner _planner;
    private readonly ResultGrouper _grouper;
    private readonly Searcher _local;
    private readonly IRemoteShards _remote;

    public RoutedSearcher(CollectionCatalog catalog, EngineOptions options, Searcher local, IRemoteShards remote)
    {
        _catalog = catalog;
        _options = options;
        _grouper = new ResultGrouper(options);
        _planner = new QueryPlanner(options, _grouper);
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
            var routed = state.Read((Searcher: this, Queries: queries, BatchField: batchField), static (s, call) => call.Searcher.PlanLocked(s, call.Queries, call.BatchField));
            activity?.SetTag(EngineTracing.CollectionTag, routed.Definition.Name);
            var allowPartial = queries.All(q => q.AllowPartial);
            RemoteShardAnswers answers;
            using (var fanOut = EngineTracing.Step("search.fan_out"))
            {
                fanOut?.SetTag(EngineTracing.ShardsTag, routed.Definition.Shards);
                answers = await _remote.SearchAsync(routed.Definition.Name, routed.Definition.Replicas, Requests(routed, routed.Queries), allowPartial, cancellationToken);
            }

            var results = new SearchResult[routed.Plans.Length];
            for (var i = 0; i < routed.Plans.Length; i++)
            {
                var plan = routed.Plans[i];
                results[i] = string.IsNullOrEmpty(plan.Query.GroupBy)
                    ? new SearchResult(Render(routed.Definition.Name, plan, Merge(answers, i, plan.Depth)), plan.MapsUsed) { MissingShards = answers.MissingShards }
                    : await GroupAsync(routed, i, answers, allowPartial, cancellationToken);
            }

            return results;
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

    /// <summary>
    /// Plans every query and writes what its shards are sent: the migration's part of a mixed query (the query mapped
    /// into the old space, the calibration) and the derived items of each shard. Caller holds the read lock.
    /// </summary>
    private RoutedPlans PlanLocked(CollectionState s, IReadOnlyList<SearchQuery> queries, FieldPath? batchField)
    {
        var plans = new PlannedQuery[queries.Count];
        var shardQueries = new ShardQuery[queries.Count];
        IReadOnlyList<string>[]? derived = null;
        for (var i = 0; i < plans.Length; i++)
        {
            var plan = plans[i] = _planner.Plan(s, queries[i], batchField?.Index(i) ?? FieldPath.Root);
            var query = plan.Query;
            shardQueries[i] = new ShardQuery(
                plan.Space, plan.Vector, plan.Depth, query.Filter, query.EfSearch, query.NProbe, query.Exact,
                // A grouped query's hits come with their payloads: the group keys are read from them here.
                query.WithPayload || !string.IsNullOrEmpty(query.GroupBy), query.WithVectors)
            {
                Tokens = plan.Tokens?.Values.ToArray(),
                TokenDimension = plan.Tokens?.Dimension ?? 0,
                Candidates = plan.Candidates,
            };
            if (plan.Mixed is { } migration)
            {
                var mixed = MixedSearch.Query(migration, migration.OldSpace(s.Definition), plan.Vector);
                shardQueries[i] = shardQueries[i] with { Mixed = new ShardMixedQuery(mixed.FromSpace, mixed.MappedVector, mixed.Calibration) };
                derived ??= DerivedByShard(migration, Math.Max(1, s.Definition.Shards));
            }
        }

        return new RoutedPlans(s.Definition, s.AppliedSequence, plans, shardQueries, derived);
    }

    /// <summary>The migration's derived items by the shard that holds them. Caller holds the read lock.</summary>
    private static IReadOnlyList<string>[] DerivedByShard(MigrationRuntime migration, int shards)
    {
        var byShard = new List<string>[shards];
        for (var shard = 0; shard < shards; shard++)
        {
            byShard[shard] = [];
        }

        foreach (var id in migration.DerivedIds)
        {
            byShard[ShardAssignment.ShardOf(id, shards)].Add(id);
        }

        return byShard;
    }

    private static List<ShardSearchRequest> Requests(RoutedPlans routed, IReadOnlyList<ShardQuery> queries)
    {
        var definition = routed.Definition;
        var requests = new List<ShardSearchRequest>(definition.Shards);
        for (var shard = 0; shard < Math.Max(1, definition.Shards); shard++)
        {
            requests.Add(new ShardSearchRequest(definition.Name, shard, definition.Version, routed.Applied, queries)
            {
                DerivedIds = routed.DerivedIds?[shard] ?? [],
            });
        }

        return requests;
    }

    /// <summary>
    /// Groups query <paramref name="index"/>'s hits, reading deeper (the depth doubled, as on one node) through further
    /// fan-outs of that query alone while groups are missing. Each round asks at least the sequence the search was
    /// planned at; the shards missing in any round are the result's missing shards.
    /// </summary>
    private async Task<SearchResult> GroupAsync(RoutedPlans routed, int index, RemoteShardAnswers answers, bool allowPartial, CancellationToken cancellationToken)
    {
        var plan = routed.Plans[index];
        var shardQuery = routed.Queries[index];
        var missing = new SortedSet<int>(answers.MissingShards);
        var hits = Grouped(Merge(answers, index, plan.Depth));
        IReadOnlyList<SearchGroup>? groups;
        while ((groups = _grouper.TryGroup(plan, hits, hit => ToHit(plan, hit.Hit), out var deeper)) is null)
        {
            plan = deeper;
            shardQuery = shardQuery with { Depth = deeper.Depth };
            var round = await _remote.SearchAsync(routed.Definition.Name, routed.Definition.Replicas, Requests(routed, [shardQuery]), allowPartial, cancellationToken);
            missing.UnionWith(round.MissingShards);
            hits = Grouped(Merge(round, 0, plan.Depth));
        }

        return new SearchResult([], plan.MapsUsed) { Groups = groups, MissingShards = [.. missing] };
    }

    private static List<GroupedHit> Grouped(List<ShardSearchHit> merged)
    {
        var hits = new List<GroupedHit>(merged.Count);
        foreach (var hit in merged)
        {
            using var payload = JsonDocument.Parse(hit.PayloadJson ?? "{}");
            hits.Add(new GroupedHit(hit, payload.RootElement.Clone()));
        }

        return hits;
    }

    /// <summary>The best <paramref name="depth"/> hits of query <paramref name="query"/> over the shards that answered, in <see cref="ShardFanOut"/>'s order.</summary>
    private static List<ShardSearchHit> Merge(RemoteShardAnswers answers, int query, int depth)
    {
        var merged = new List<ShardSearchHit>();
        foreach (var response in answers.Responses.Values)
        {
            merged.AddRange(response.Hits[query]);
        }

        merged.Sort(static (a, b) => HitOrder.Compare(a.Score, a.Mapped, a.Id, b.Score, b.Mapped, b.Id));
        if (merged.Count > depth)
        {
            merged.RemoveRange(depth, merged.Count - depth);
        }

        return merged;
    }

    /// <summary>Drops the query's own item, applies offset and score threshold, as <see cref="Searcher"/> renders.</summary>
    private static List<SearchHit> Render(string collection, PlannedQuery plan, List<ShardSearchHit> merged)
    {
        var query = plan.Query;
        if (!string.IsNullOrEmpty(query.ItemId) && merged.FindIndex(hit => hit.Id == query.ItemId) is var own and >= 0)
        {
            merged.RemoveAt(own);
        }

        var end = Math.Min(merged.Count, query.Offset + query.K);
        var hits = new List<SearchHit>(Math.Max(0, end - query.Offset));
        long mapped = 0;
        for (var i = query.Offset; i < end; i++)
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
            MigrationMetrics.MixedSearch(collection, hits.Count - mapped, mapped);
        }

        return hits;
    }

    /// <summary>A hit as answered: what the query asked to see (a grouped query's shards send payloads regardless).</summary>
    private static SearchHit ToHit(PlannedQuery plan, ShardSearchHit hit) => new(
        hit.Id,
        hit.Score,
        plan.Query.WithPayload ? hit.PayloadJson : null,
        hit.Vectors,
        plan.Mixed is null ? null : hit.Mapped ? SearchPaths.Mapped : SearchPaths.Native);

    /// <summary>What a routed search planned under the read lock: the plans, what each shard is sent, the derived items by shard (mixed search only).</summary>
    private sealed record RoutedPlans(CollectionDefinition Definition, long Applied, PlannedQuery[] Plans, ShardQuery[] Queries, IReadOnlyList<string>[]? DerivedIds);

    /// <summary>A shard's hit with its payload read, for grouping.</summary>
    private readonly record struct GroupedHit(ShardSearchHit Hit, JsonElement Payload) : IGroupedHit
    {
        public string Id => Hit.Id;

        public float Score => Hit.Score;
    }
}
