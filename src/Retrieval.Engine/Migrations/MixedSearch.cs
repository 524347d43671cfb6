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
        foreach (var hit in newSpace.Search(vector, depth, native, settings))
        {
            hits.Add(new MixedHit(hit.Row, hit.Score, false));
        }

        var old = oldSpace.Definition;
        var query = SpaceProjection.Apply(migration.Forward!, vector, old.Dimension, old.Metric == Metric.Cosine);
        var calibration = migration.Details.Calibration ?? ScoreCalibration.Identity;
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
