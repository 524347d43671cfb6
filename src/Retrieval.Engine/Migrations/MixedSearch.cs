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
        calibration = QueryCalibration(newSpace, oldSpace, vector, query, nativeHits, native, depth, calibration, settings);
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
    /// queries, but a real query can score items in another range than an item does (models that embed queries with a
    /// prompt, such as Arctic, do), and then every mapped hit outranks every native one, or the reverse. The backfilled
    /// items hold both spaces, so this query's own (mapped, native) score pairs are at hand: its nearest backfilled items
    /// by native score and by mapped score, the union the calibrator fits on. When the migration's calibration is off for
    /// them (its mean residual lies beyond two standard errors) its offset is moved by that mean residual; otherwise, and
    /// without backfilled items, it stands unchanged. Only the offset: a per-query slope fitted on a few dozen pairs
    /// measured worse on MiniLM→Arctic (recall@10 at 10 % and 25 % backfill) than the shared slope.
    /// </summary>
    private static ScoreCalibration QueryCalibration(SpaceIndex newSpace, SpaceIndex oldSpace, float[] vector, float[] mappedQuery, ScoredRow[] nativeHits, RowFilter native, int depth, ScoreCalibration calibration, in SegmentSearchSettings settings)
    {
        if (nativeHits.Length == 0)
        {
            return calibration;
        }

        var mappedScores = new List<double>(2 * depth);
        var nativeScores = new List<double>(2 * depth);
        var seen = new HashSet<int>();
        foreach (var hit in nativeHits)
        {
            if (oldSpace.Contains(hit.Row) && seen.Add(hit.Row))
            {
                mappedScores.Add(ScoreCalibrator.Score(mappedQuery, oldSpace.VectorOf(hit.Row), oldSpace.ScoreKind));
                nativeScores.Add(hit.Score);
            }
        }

        foreach (var hit in oldSpace.Search(mappedQuery, depth, native, settings))
        {
            if (newSpace.Contains(hit.Row) && seen.Add(hit.Row))
            {
                mappedScores.Add(hit.Score);
                nativeScores.Add(ScoreCalibrator.Score(vector, newSpace.VectorOf(hit.Row), newSpace.ScoreKind));
            }
        }

        var n = mappedScores.Count;
        if (n < 3)
        {
            return calibration;
        }

        double sum = 0, squares = 0;
        for (var i = 0; i < n; i++)
        {
            var residual = nativeScores[i] - calibration.Apply((float)mappedScores[i]);
            sum += residual;
            squares += residual * residual;
        }

        var mean = sum / n;
        var variance = Math.Max(0, (squares - n * mean * mean) / (n - 1));
        if (Math.Abs(mean) <= 2 * Math.Sqrt(variance / n))
        {
            return calibration;
        }

        return calibration with { Offset = calibration.Offset + mean };
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
