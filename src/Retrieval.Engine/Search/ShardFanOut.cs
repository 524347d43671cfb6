using Retrieval.Core.Search;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.Segments;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Search;

/// <summary>A hit in one shard: the item's slot there, its score, and whether mixed search found it through the map.</summary>
internal readonly record struct ShardHit(Shard Shard, int Slot, float Score, bool Mapped) : IGroupedHit
{
    public string Id => Shard.Items[Slot]!.Id;

    public System.Text.Json.JsonElement Payload => Shard.Items[Slot]!.Payload;
}

/// <summary>
/// Runs planned queries on every shard and merges each query's per-shard top lists into one. The work items are
/// (query, shard) pairs, run in parallel on up to every core, each index call on one thread (Faiss and USearch are called
/// per query with one thread, so cores are never oversubscribed). Unfiltered exact queries on the same space and depth
/// share one blocked batch scan per shard while no segment is sealed.
/// </summary>
internal sealed class ShardFanOut
{
    private readonly IndexingOptions _indexing;

    public ShardFanOut(IndexingOptions indexing) => _indexing = indexing;

    /// <summary>Each query's top <see cref="PlannedQuery.Depth"/> hits over every shard, best first. Caller holds the read lock.</summary>
    public List<ShardHit>[] Run(CollectionState state, PlannedQuery[] plans)
    {
        var shards = state.Shards;
        if (plans.Length == 1 && shards.Count == 1)
        {
            // The common case, kept free of the fan-out's bookkeeping: one query on a one-shard collection.
            var plan = plans[0];
            var filter = plan.Query.Filter is { } only ? shards[0].BuildSlotFilter(only) : null;
            return [Merge([SearchOne(state, shards[0], plan, filter)], plan.Depth)];
        }

        var partial = new ShardHit[plans.Length][][];
        for (var i = 0; i < plans.Length; i++)
        {
            partial[i] = new ShardHit[shards.Count][];
        }

        // Filters first, on this thread: payload indexes are built lazily on first use and are not thread-safe.
        var filters = new RowFilter?[plans.Length][];
        for (var i = 0; i < plans.Length; i++)
        {
            filters[i] = plans[i].Query.Filter is { } filter
                ? [.. shards.Select(shard => shard.BuildSlotFilter(filter))]
                : new RowFilter?[shards.Count];
        }

        var batches = plans.Length > 1 ? BatchableGroups(state, plans) : [];
        var batched = batches.SelectMany(g => g).ToHashSet();
        var work = new List<Action>();
        foreach (var members in batches)
        {
            foreach (var shard in shards)
            {
                work.Add(() => SearchBatch(shard, plans, members, partial));
            }
        }

        for (var i = 0; i < plans.Length; i++)
        {
            if (batched.Contains(i))
            {
                continue;
            }

            foreach (var shard in shards)
            {
                var (query, shardFilter) = (i, filters[i][shard.Number]);
                work.Add(() => partial[query][shard.Number] = SearchOne(state, shard, plans[query], shardFilter));
            }
        }

        if (work.Count == 1)
        {
            work[0]();
        }
        else
        {
            Parallel.For(0, work.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, w => work[w]());
        }

        return [.. plans.Select((plan, i) => Merge(partial[i], plan.Depth))];
    }

    private ShardHit[] SearchOne(CollectionState state, Shard shard, PlannedQuery plan, RowFilter? filter)
    {
        var query = plan.Query;
        var settings = new SegmentSearchSettings(new IndexSearchParameters(query.EfSearch, query.NProbe), query.Exact, _indexing.FilteredExactFraction, _indexing.RefineFactor);
        if (plan.Mixed is { } migration)
        {
            return [.. MixedSearch.Run(shard, state.AppliedSequence, migration, plan.Vector, plan.Depth, filter, settings)
                .Select(hit => new ShardHit(shard, hit.Slot, hit.Score, hit.Mapped))];
        }

        if (plan.RoutedMixed is { } routed)
        {
            var (native, mapped) = routed.Sides.Of(shard, routed.Query.FromSpace, routed.Query.ToSpace);
            return [.. MixedSearch.Run(shard, routed.Query, native, mapped, plan.Vector, plan.Depth, filter, settings)
                .Select(hit => new ShardHit(shard, hit.Slot, hit.Score, hit.Mapped))];
        }

        var rows = plan.Tokens is { } tokens
            // A multi-vector search reranks its own K' shortlist; the exact override then means exact Chamfer.
            ? shard.GetMultiVectorSpace(plan.Space).Search(tokens, plan.Depth, plan.Candidates, query.Exact, filter, settings with { Exact = false })
            : shard.GetSpace(plan.Space).Search(plan.Vector, plan.Depth, filter, settings);
        return ToHits(shard, rows);
    }

    private static void SearchBatch(Shard shard, PlannedQuery[] plans, List<int> members, ShardHit[][][] partial)
    {
        var space = shard.GetSpace(plans[members[0]].Space);
        var dimension = space.Definition.Dimension;
        var block = new float[members.Count * dimension];
        for (var m = 0; m < members.Count; m++)
        {
            plans[members[m]].Vector.CopyTo(block.AsSpan(m * dimension));
        }

        var rows = space.SearchBatchUnsealed(block, members.Count, plans[members[0]].Depth);
        for (var m = 0; m < members.Count; m++)
        {
            partial[members[m]][shard.Number] = ToHits(shard, rows[m]);
        }
    }

    /// <summary>Groups of at least two unfiltered dense queries on the same space and depth, where no shard has sealed segments.</summary>
    private static List<List<int>> BatchableGroups(CollectionState state, PlannedQuery[] plans) =>
        [.. plans.Select((plan, i) => (plan, i))
            .Where(x => x.plan.Mixed is null && x.plan.RoutedMixed is null && x.plan.Tokens is null && x.plan.Query.Filter is null
                && state.Shards.All(shard => shard.GetSpace(x.plan.Space).Sealed.Count == 0))
            .GroupBy(x => (x.plan.Space, x.plan.Depth))
            .Where(g => g.Count() > 1)
            .Select(g => g.Select(x => x.i).ToList())];

    private static ShardHit[] ToHits(Shard shard, ScoredRow[] rows)
    {
        var hits = new ShardHit[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            hits[i] = new ShardHit(shard, rows[i].Row, rows[i].Score, false);
        }

        return hits;
    }

    /// <summary>
    /// The best <paramref name="depth"/> of the shards' lists: higher score first, then native before mapped, then by
    /// item id (ordinal), so the order does not depend on slots or on how items fall into shards.
    /// </summary>
    private static List<ShardHit> Merge(ShardHit[][] perShard, int depth)
    {
        var count = 0;
        foreach (var hits in perShard)
        {
            count += hits.Length;
        }

        var merged = new List<ShardHit>(count);
        foreach (var hits in perShard)
        {
            merged.AddRange(hits);
        }

        merged.Sort(static (a, b) => HitOrder.Compare(a.Score, a.Mapped, a.Id, b.Score, b.Mapped, b.Id));
        if (merged.Count > depth)
        {
            merged.RemoveRange(depth, merged.Count - depth);
        }

        return merged;
    }
}
