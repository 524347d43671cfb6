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

    /// <summary>The shard-independent part of a mixed query (<see cref="Query"/>).</summary>
    /// <param name="FromSpace">The migration's old space, searched through the map.</param>
    /// <param name="ToSpace">The migration's new space, the query's own.</param>
    /// <param name="MappedVector">The query mapped into the old space.</param>
    /// <param name="Calibration">The migration's calibration of mapped scores, before this query's own offset.</param>
    public sealed record MixedQuery(string FromSpace, string ToSpace, float[] MappedVector, ScoreCalibration Calibration);

    /// <summary>True when <paramref name="querySpace"/> queries are answered by mixed search now.</summary>
    public static bool Applies(CollectionState state, SpaceDefinition querySpace, string? targetSpace) =>
        state.Migration is { } migration
        && MigrationPhaseRules.SearchesMixed(migration.Phase)
        && migration.Forward is not null
        && migration.Row.ToSpace == querySpace.Name
        && (string.IsNullOrEmpty(targetSpace) || targetSpace == querySpace.Name);

    /// <summary>
    /// Top <paramref name="depth"/> hits of one shard for a query of the open migration, best first;
    /// <paramref name="sequence"/> is the collection's applied sequence (it keys the migration's cached filters);
    /// <paramref name="matching"/> the shard's slots that match the query's payload filter, or null without one. Caller
    /// holds the collection's read lock.
    /// </summary>
    public static List<MixedHit> Run(Shard state, long sequence, MigrationRuntime migration, float[] vector, int depth, RowFilter? matching, in SegmentSearchSettings settings)
    {
        var (native, mapped) = migration.Filters(state, sequence);
        return Run(state, Query(migration, state.GetSpace(migration.Row.FromSpace).Definition, vector), native, mapped, vector, depth, matching, settings);
    }

    /// <summary>
    /// What a mixed query needs besides the shard's sides: the spaces, the query mapped into the old space through the
    /// migration's forward map, and the migration's calibration. The same for every shard, so a node that routes the
    /// query to shards elsewhere computes it once and sends it.
    /// </summary>
    public static MixedQuery Query(MigrationRuntime migration, SpaceDefinition oldSpace, float[] vector) => new(
        migration.Row.FromSpace,
        migration.Row.ToSpace,
        SpaceProjection.Apply(migration.Forward!, vector, oldSpace.Dimension, oldSpace.Metric == Metric.Cosine),
        migration.Details.Calibration ?? ScoreCalibration.Identity);

    /// <summary>
    /// The two sides of mixed search in one shard: items with a native new-space vector (in the new space and not
    /// <paramref name="isDerived"/>), and every other item with an old-space vector, searched through the map. Together
    /// they cover each item once. Caller holds a read lock.
    /// </summary>
    public static (RowFilter Native, RowFilter Mapped) Sides(Shard state, string fromSpace, string toSpace, Func<string, bool> isDerived)
    {
        var newSpace = state.GetSpace(toSpace);
        var oldSpace = state.GetSpace(fromSpace);
        var native = new RowFilter(state.Items.SlotCapacity);
        var mapped = new RowFilter(state.Items.SlotCapacity);
        for (var slot = 0; slot < state.Items.SlotCapacity; slot++)
        {
            if (state.Items[slot] is not { } item)
            {
                continue;
            }

            if (newSpace.Contains(slot) && !isDerived(item.Id))
            {
                native.Set(slot);
            }
            else if (oldSpace.Contains(slot))
            {
                mapped.Set(slot);
            }
        }

        return (native, mapped);
    }

    /// <summary>
    /// Top <paramref name="depth"/> hits of one shard, best first: <paramref name="vector"/> natively over the
    /// <paramref name="native"/> side, <see cref="MixedQuery.MappedVector"/> over the <paramref name="mapped"/> side with
    /// calibrated scores. Caller holds the read lock of the state that holds the shard.
    /// </summary>
    public static List<MixedHit> Run(Shard state, MixedQuery mixed, RowFilter native, RowFilter mapped, float[] vector, int depth, RowFilter? matching, in SegmentSearchSettings settings)
    {
        var newSpace = state.GetSpace(mixed.ToSpace);
        var oldSpace = state.GetSpace(mixed.FromSpace);
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

        var query = mixed.MappedVector;
        var calibration = QueryCalibration(newSpace, oldSpace, vector, query, nativeHits, native, depth, mixed.Calibration, settings);
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
