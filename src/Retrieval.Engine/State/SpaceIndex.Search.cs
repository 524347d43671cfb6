using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Retrieval.Core.Search;
using Retrieval.Engine.Segments;

namespace Retrieval.Engine.State;

internal sealed partial class SpaceIndex
{
    /// <summary>
    /// The <paramref name="depth"/> best slots (<see cref="ScoredRow.Row"/> is the item slot) over every segment,
    /// best first, ties by lower slot. Scores are exact: hits of an approximate index are re-scored from the stored
    /// float rows, so segments merge on one scale. Caller holds the read lock.
    /// </summary>
    /// <param name="query">The query, validated (and normalized for cosine spaces).</param>
    /// <param name="depth">Hits wanted (offset + k).</param>
    /// <param name="slotFilter">Item slots that may be returned; null for all.</param>
    /// <param name="settings">Per-request index parameters and the exact override.</param>
    public ScoredRow[] Search(ReadOnlySpan<float> query, int depth, RowFilter? slotFilter, in SegmentSearchSettings settings)
    {
        var merged = new List<ScoredRow>(depth * (1 + _sealed.Length));
        AddAppendableHits(merged, query, depth, slotFilter);
        foreach (var segment in _sealed)
        {
            AddSealedHits(merged, segment, query, depth, slotFilter, settings);
        }

        merged.Sort(static (a, b) => a.RanksBefore(b) ? -1 : b.RanksBefore(a) ? 1 : 0);
        return merged.Count <= depth ? [.. merged] : CollectionsMarshal.AsSpan(merged)[..depth].ToArray();
    }

    /// <summary>Unfiltered exact search of many queries at once: only valid while no segment is sealed. Caller holds the read lock.</summary>
    public ScoredRow[][] SearchBatchUnsealed(ReadOnlySpan<float> queries, int queryCount, int depth)
    {
        var results = ExactSearch.SearchBatch(Appendable.Storage, queries, queryCount, depth, ScoreKind);
        foreach (var rows in results)
        {
            ToSlots(rows, Appendable.SlotOfRow);
        }

        return results;
    }

    private void AddAppendableHits(List<ScoredRow> merged, ReadOnlySpan<float> query, int depth, RowFilter? slotFilter)
    {
        if (Appendable.Count == 0)
        {
            return;
        }

        RowFilter? rows = null;
        if (slotFilter is not null)
        {
            rows = new RowFilter(Appendable.Count);
            for (var row = 0; row < Appendable.Count; row++)
            {
                if (slotFilter.Contains(Appendable.SlotOfRow(row)))
                {
                    rows.Set(row);
                }
            }
        }

        var hits = ExactSearch.Search(Appendable.Storage, query, depth, ScoreKind, rows);
        ToSlots(hits, Appendable.SlotOfRow);
        merged.AddRange(hits);
    }

    private void AddSealedHits(List<ScoredRow> merged, SealedSegment segment, ReadOnlySpan<float> query, int depth, RowFilter? slotFilter, in SegmentSearchSettings settings)
    {
        var (allowed, allowedCount) = AllowedRows(segment, slotFilter);
        if (allowedCount == 0)
        {
            return;
        }

        // Very selective filters defeat graph walks and probed lists alike; the few allowed rows are cheap to scan.
        var index = segment.Index;
        var selective = slotFilter is not null && allowedCount <= Math.Max(depth, settings.FilteredExactFraction * segment.Count);
        if (settings.Exact || Spec is null || index is null || selective)
        {
            var exact = ExactSearch.Search(segment.Storage, query, depth, ScoreKind, allowed);
            var rowToSlot = segment.RowToSlot;
            ToSlots(exact, row => rowToSlot[row]);
            merged.AddRange(exact);
            return;
        }

        // Compressed vectors rank approximately: fetch more candidates and let the exact re-scoring pick the best.
        var k = Math.Min(index.Spec.IsQuantized ? depth * settings.RefineFactor : depth, allowedCount);
        // The index's answer buffers: on the stack for the usual depths, pooled beyond (nothing outlives this call).
        long[]? rentedIds = null;
        float[]? rentedScores = null;
        var ids = k <= StackHits ? stackalloc long[StackHits] : (rentedIds = ArrayPool<long>.Shared.Rent(k));
        var scores = k <= StackHits ? stackalloc float[StackHits] : (rentedScores = ArrayPool<float>.Shared.Rent(k));
        try
        {
            var found = index.Search(query, k, settings.Parameters, allowed, ids[..k], scores[..k]);
            for (var i = 0; i < found; i++)
            {
                var row = (int)ids[i];
                merged.Add(new ScoredRow(segment.RowToSlot[row], ExactScore(query, segment.Storage.Row(row))));
            }
        }
        finally
        {
            if (rentedIds is not null)
            {
                ArrayPool<long>.Shared.Return(rentedIds);
                ArrayPool<float>.Shared.Return(rentedScores!);
            }
        }
    }

    /// <summary>Most hits an index search answers into stack buffers (12 bytes each); deeper searches rent pooled arrays.</summary>
    private const int StackHits = 128;

    // Rows of the segment that are live and (with a filter) belong to allowed slots; null means "every row".
    private static (RowFilter? Allowed, int Count) AllowedRows(SealedSegment segment, RowFilter? slotFilter)
    {
        if (slotFilter is null)
        {
            return segment.DeadCount == 0 ? (null, segment.Count) : (segment.Live, segment.LiveCount);
        }

        var allowed = new RowFilter(segment.Count);
        var rowToSlot = segment.RowToSlot;
        var live = segment.Live.Words.Span;
        var count = 0;
        for (var w = 0; w < live.Length; w++)
        {
            var word = live[w];
            while (word != 0)
            {
                var row = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
                word &= word - 1;
                if (slotFilter.Contains(rowToSlot[row]))
                {
                    allowed.Set(row);
                    count++;
                }
            }
        }

        return (allowed, count);
    }

    private float ExactScore(ReadOnlySpan<float> query, ReadOnlySpan<float> row)
    {
        if (ScoreKind == ScoreKind.InnerProduct)
        {
            return TensorPrimitives.Dot(query, row);
        }

        var distance = TensorPrimitives.Distance(query, row);
        return -(distance * distance);
    }

    private static void ToSlots(ScoredRow[] hits, Func<int, int> slotOfRow)
    {
        for (var i = 0; i < hits.Length; i++)
        {
            hits[i] = hits[i] with { Row = slotOfRow(hits[i].Row) };
        }
    }
}
