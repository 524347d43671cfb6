using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.Engine.Segments;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// A new-space query during backfill (DESIGN §7): items with a native new vector are searched natively, every other item
/// through the map in the old space (each side restricted by a slot bitset so every item is scored once), and the two
/// lists are merged on one scale: mapped scores go through the migration's linear calibration.
/// </summary>
internal static class MixedSearch
{
    /// <summary>A hit of a mixed search by item slot; <see cref="Mapped"/> tells which side found it.</summary>
    public readonly record struct MixedHit(int Slot, float Score, bool Mapped);

    /// <summary>True when <paramref name="querySpace"/> queries are answered by mixed search now.</summary>
    public static bool Applies(CollectionState state, SpaceDefinition querySpace, string? targetSpace) =>
        state.Migration is { } migration
        && MigrationPhaseRules.SearchesMixed(migration.Phase)
        && migration.Forward is not null
        && migration.Row.ToSpace == querySpace.Name
        && (string.IsNullOrEmpty(targetSpace) || targetSpace == querySpace.Name);

    /// <summary>
    /// Top <paramref name="depth"/> hits of one shard, best first; <paramref name="sequence"/> is the collection's
    /// applied sequence (it keys the migration's cached filters); <paramref name="matching"/> the shard's slots that match
    /// the query's payload filter, or null without one. Caller holds the collection's read lock.
    /// </summary>
    public static List<MixedHit> Run(Shard state, long sequence, MigrationRuntime migration, float[] vector, int depth, RowFilter? matching, in SegmentSearchSettings settings)
    {
        var newSpace = state.GetSpace(migration.Row.ToSpace);
        var oldSpace = state.GetSpace(migration.Row.FromSpace);
        var (native, mapped) = migration.Filters(state, sequence);
        if (matching is not null)
        {
            native = Intersect(native, matching);
            mapped = Intersect(mapped, matching);
        }

        var hits = new List<MixedHit>(2 * depth);
        var nativeHits = newSpace.Search(vector, depth, native, settings);
        foreach (var hit in nativeHits)
        {
            hits.Add(new MixedHit(hit.Row, hit.Score, false));
        }

        var old = oldSpace.Definition;
        var query = SpaceProjection.Apply(migration.Forward!, vector, old.Dimension, old.Metric == Metric.Cosine);
        var calibration = migration.Details.Calibration ?? ScoreCalibration.Identity;
        calibration = QueryCalibration(oldSpace, query, nativeHits, native, depth, calibration, settings);
        foreach (var hit in oldSpace.Search(query, depth, mapped, settings))
        {
            hits.Add(new MixedHit(hit.Row, calibration.Apply(hit.Score), true));
        }

        // Ties: native first, then by slot, so the order is stable.
        hits.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Mapped != b.Mapped ? a.Mapped.CompareTo(b.Mapped) : a.Slot.CompareTo(b.Slot));
        if (hits.Count > depth)
        {
            hits.RemoveRange(depth, hits.Count - depth);
        }

        return hits;
    }

    /// <summary>
    /// The calibration this query's mapped scores go through. The migration's calibration is fitted with anchor items as
    /// queries; a real query can score items in another range than an item does (models that embed queries with a prompt,
    /// such as Arctic, do), and a least-squares fit of native on mapped score regresses to the mean: when the two scores
    /// correlate weakly it flattens every mapped score towards one value (MiniLM→Arctic: slope 0.13), so the top native
    /// hits outrank the top mapped ones whatever their merit, and mixed search fell below mapped-only at low backfill.
    /// What the merge needs is one scale on which the two sides' scores are distributed alike over the collection. The
    /// backfilled items are a sample of the collection that holds both spaces, so for this query the j-th best backfilled
    /// score by the native side and the j-th best by the mapped side mark the same level of the collection (a
    /// quantile–quantile pairing of the two top tails); native on mapped by least squares over those pairs is the
    /// calibration, applied to mapped hits beyond the sample's range by the same line. With fewer than three pairs (almost
    /// nothing backfilled) or no spread, the migration's calibration stands.
    /// </summary>
    private static ScoreCalibration QueryCalibration(SpaceIndex oldSpace, float[] mappedQuery, ScoredRow[] nativeHits, RowFilter native, int depth, ScoreCalibration calibration, in SegmentSearchSettings settings)
    {
        if (nativeHits.Length < 3)
        {
            return calibration;
        }

        return TailCalibration(nativeHits, oldSpace.Search(mappedQuery, depth, native, settings), calibration);
    }

    /// <summary>
    /// Native on mapped score by least squares over the two top tails paired rank by rank (both lists best first: the
    /// backfilled items' best by native score, and their best by mapped score); <paramref name="fallback"/> with fewer than
    /// three pairs or when either side has no spread.
    /// </summary>
    internal static ScoreCalibration TailCalibration(ReadOnlySpan<ScoredRow> nativeBest, ReadOnlySpan<ScoredRow> mappedBest, ScoreCalibration fallback)
    {
        var n = Math.Min(nativeBest.Length, mappedBest.Length);
        if (n < 3)
        {
            return fallback;
        }

        var mapped = new double[n];
        var native = new double[n];
        for (var j = 0; j < n; j++)
        {
            mapped[j] = mappedBest[j].Score;
            native[j] = nativeBest[j].Score;
        }

        var tail = ScoreCalibrator.LeastSquares(mapped, native);
        return double.IsNaN(tail.Correlation) ? fallback : tail;
    }

    private static RowFilter Intersect(RowFilter a, RowFilter b)
    {
        var result = new RowFilter(a.RowCount);
        for (var slot = 0; slot < a.RowCount; slot++)
        {
            if (a.Contains(slot) && b.Contains(slot))
            {
                result.Set(slot);
            }
        }

        return result;
    }
}
