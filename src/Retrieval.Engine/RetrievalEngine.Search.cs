using Retrieval.Core.Errors;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Search;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Maps;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.MultiVector;
using Retrieval.Engine.Segments;
using Retrieval.Engine.State;
using Retrieval.Engine.Validation;

namespace Retrieval.Engine;

public sealed partial class RetrievalEngine
{
    /// <summary>Top-k search over one space of a collection (exact, or through the space's index); hits best first.</summary>
    public IReadOnlyList<SearchHit> Search(string collection, SearchQuery query) =>
        SearchBatch(collection, [query], "")[0].Hits;

    /// <summary>Like <see cref="Search"/>, also telling which compatibility maps the query went through.</summary>
    public SearchResult SearchWithRoute(string collection, SearchQuery query) =>
        SearchBatch(collection, [query], "")[0];

    /// <summary>
    /// Runs several searches against one collection under one read lock. Unfiltered queries on the same space
    /// with the same depth share one blocked batch scan.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<SearchHit>> SearchBatch(string collection, IReadOnlyList<SearchQuery> queries) =>
        SearchBatch(collection, queries, "searches").Select(r => r.Hits).ToList();

    /// <summary>Like <see cref="SearchBatch(string, IReadOnlyList{SearchQuery})"/>, also telling which maps each query went through.</summary>
    public IReadOnlyList<SearchResult> SearchBatchWithRoutes(string collection, IReadOnlyList<SearchQuery> queries) =>
        SearchBatch(collection, queries, "searches");

    private SearchResult[] SearchBatch(string collection, IReadOnlyList<SearchQuery> queries, string fieldPrefix)
    {
        if (queries.Count == 0 && fieldPrefix.Length > 0)
        {
            throw RetrievalException.Invalid(fieldPrefix, "at least one search is required");
        }

        if (queries.Count > _options.MaxSearchBatch)
        {
            throw RetrievalException.Invalid(fieldPrefix, $"{queries.Count} searches exceed the limit of {_options.MaxSearchBatch}");
        }

        var state = GetState(collection);
        return Read(state, s =>
        {
            var prepared = new PreparedQuery[queries.Count];
            for (var i = 0; i < queries.Count; i++)
            {
                var prefix = fieldPrefix.Length == 0 ? "" : $"{fieldPrefix}[{i}].";
                prepared[i] = Prepare(s, queries[i], prefix);
            }

            var results = new IReadOnlyList<SearchHit>[queries.Count];
            foreach (var (p, i) in prepared.Select((p, i) => (p, i)).Where(x => x.p.Mixed))
            {
                results[i] = MixedHits(s, p);
            }

            for (var i = 0; i < prepared.Length; i++)
            {
                if (prepared[i] is { MultiVector: { } multi, Tokens: { } tokens } p)
                {
                    var slotFilter = p.Query.Filter is { } f ? s.BuildSlotFilter(f) : null;
                    var settings = new SegmentSearchSettings(new IndexSearchParameters(p.Query.EfSearch, p.Query.NProbe), false, _indexing.FilteredExactFraction, _indexing.RefineFactor);
                    results[i] = ToHits(s, p, multi.Search(tokens, p.Depth, p.Candidates, p.Query.Exact, slotFilter, settings));
                }
            }

            foreach (var group in prepared.Select((p, i) => (p, i)).Where(x => !x.p.Mixed && x.p.MultiVector is null).GroupBy(x => (x.p.Space, x.p.Depth, Batchable: x.p.Query.Filter is null && x.p.Space.Sealed.Count == 0)))
            {
                var members = group.ToList();
                var (space, depth, batchable) = group.Key;
                if (!batchable || members.Count == 1)
                {
                    // Filters first, on this thread (payload indexes are built lazily on first use); then the
                    // segment searches of a batch run on up to every core, each index call on one thread (Faiss
                    // and USearch are called per query with one thread, so cores are never oversubscribed).
                    var slotFilters = members.Select(m => m.p.Query.Filter is { } f ? s.BuildSlotFilter(f) : null).ToArray();
                    var hits = new ScoredRow[members.Count][];
                    var parallelism = new ParallelOptions { MaxDegreeOfParallelism = members.Count == 1 ? 1 : Environment.ProcessorCount };
                    Parallel.For(0, members.Count, parallelism, m =>
                    {
                        var query = members[m].p.Query;
                        var settings = new SegmentSearchSettings(new IndexSearchParameters(query.EfSearch, query.NProbe), query.Exact, _indexing.FilteredExactFraction, _indexing.RefineFactor);
                        hits[m] = space.Search(members[m].p.Vector, depth, slotFilters[m], settings);
                    });
                    for (var m = 0; m < members.Count; m++)
                    {
                        results[members[m].i] = ToHits(s, members[m].p, hits[m]);
                    }

                    continue;
                }

                var dimension = space.Definition.Dimension;
                var block = new float[members.Count * dimension];
                for (var m = 0; m < members.Count; m++)
                {
                    members[m].p.Vector.CopyTo(block.AsSpan(m * dimension));
                }

                var rows = space.SearchBatchUnsealed(block, members.Count, depth);
                for (var m = 0; m < members.Count; m++)
                {
                    results[members[m].i] = ToHits(s, members[m].p, rows[m]);
                }
            }

            return results.Select((hits, i) => new SearchResult(hits, prepared[i].MapsUsed)).ToArray();
        });
    }

    private PreparedQuery Prepare(CollectionState state, SearchQuery query, string prefix)
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

        var filter = query.Filter is { IsEmpty: false } f ? f : null;
        if (definition.IsMulti)
        {
            return PrepareMultiVector(state, definition, query with { Filter = filter }, prefix);
        }

        if (query.Rows is not null)
        {
            throw RetrievalException.Invalid($"{prefix}vector.values", $"space '{spaceName}' is dense: send one vector as values, not rows");
        }

        var vector = VectorValidator.Validate(query.Vector, definition, $"{prefix}vector");

        // During a migration, queries of the new space search natively where backfilled and through the map elsewhere.
        if (MixedSearch.Applies(state, definition, query.TargetSpace))
        {
            return new PreparedQuery(query with { Filter = filter }, state.GetSpace(spaceName), vector, query.Offset + query.K, [state.Migration!.Row.MapId!]) { Mixed = true };
        }

        // Compatibility routing: the query may search another space through active maps or a declared prefix.
        var routed = QueryRouter.Route(state, definition, query.TargetSpace, vector, prefix);
        return new PreparedQuery(query with { Filter = filter }, state.GetSpace(routed?.Space ?? spaceName), routed?.Vector ?? vector, query.Offset + query.K, routed?.MapsUsed ?? []);
    }

    private PreparedQuery PrepareMultiVector(CollectionState state, Core.Model.SpaceDefinition definition, SearchQuery query, string prefix)
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
        var multi = state.GetMultiVectorSpace(definition.Name);
        var candidates = query.Candidates > 0 ? query.Candidates : multi.Settings.Candidates;
        // Space is the FDE index (an exact SpaceIndex of its own): the grouping of dense queries never sees it.
        return new PreparedQuery(query, multi.Fdes, [], query.Offset + query.K, [])
        {
            MultiVector = multi,
            Tokens = multi.PrepareQuery(rows),
            Candidates = candidates,
        };
    }

    /// <summary>Largest efSearch a request may ask for.</summary>
    public const int MaxEfSearch = 65536;

    // Rows are item slots: SpaceIndex.Search answers in slots.
    private static List<SearchHit> ToHits(CollectionState state, PreparedQuery prepared, ScoredRow[] rows)
    {
        var query = prepared.Query;
        var hits = new List<SearchHit>(Math.Max(0, rows.Length - query.Offset));
        for (var i = query.Offset; i < rows.Length; i++)
        {
            var row = rows[i];
            if (query.ScoreThreshold is { } threshold && row.Score < threshold)
            {
                break;
            }

            var slot = row.Row;
            var item = state.Items[slot]!;
            hits.Add(new SearchHit(
                item.Id,
                row.Score,
                query.WithPayload ? item.PayloadJson : null,
                query.WithVectors ? state.VectorsOf(slot) : null));
        }

        return hits;
    }

    private sealed record PreparedQuery(SearchQuery Query, SpaceIndex Space, float[] Vector, int Depth, IReadOnlyList<string> MapsUsed)
    {
        /// <summary>Answered by <see cref="MixedSearch"/> (native + mapped, merged) instead of one space.</summary>
        public bool Mixed { get; init; }
        /// <summary>Set for a multi-vector query: the space's index (<see cref="Space"/> is its FDE index).</summary>
        public MultiVectorIndex? MultiVector { get; init; }

        /// <summary>The query's token vectors as searched (after k_q pruning and ball carving).</summary>
        public TokenMatrix? Tokens { get; init; }

        /// <summary>K' of a multi-vector query.</summary>
        public int Candidates { get; init; }
    }
}
