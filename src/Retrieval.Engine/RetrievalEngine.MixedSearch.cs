using Retrieval.Engine.Indexes;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.Segments;
using Retrieval.Engine.State;

namespace Retrieval.Engine;

public sealed partial class RetrievalEngine
{
    /// <summary>Runs a mixed search and turns its hits into results with their path. Caller holds the read lock.</summary>
    private List<SearchHit> MixedHits(CollectionState state, PreparedQuery prepared)
    {
        var query = prepared.Query;
        var settings = new SegmentSearchSettings(new IndexSearchParameters(query.EfSearch, query.NProbe), query.Exact, _indexing.FilteredExactFraction, _indexing.RefineFactor);
        var rows = MixedSearch.Run(state, state.Migration!, prepared.Vector, prepared.Depth, query.Filter, settings);
        var hits = new List<SearchHit>(Math.Max(0, rows.Count - query.Offset));
        long mapped = 0;
        for (var i = query.Offset; i < rows.Count; i++)
        {
            var row = rows[i];
            if (query.ScoreThreshold is { } threshold && row.Score < threshold)
            {
                break;
            }

            var item = state.Items[row.Slot]!;
            mapped += row.Mapped ? 1 : 0;
            hits.Add(new SearchHit(
                item.Id,
                row.Score,
                query.WithPayload ? item.PayloadJson : null,
                query.WithVectors ? state.VectorsOf(row.Slot) : null,
                row.Mapped ? SearchPaths.Mapped : SearchPaths.Native));
        }

        MigrationMetrics.MixedSearch(state.Definition.Name, hits.Count - mapped, mapped);
        return hits;
    }
}
