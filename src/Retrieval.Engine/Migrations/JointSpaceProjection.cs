using Retrieval.Core.Maps;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// Writes into the joint space of a two-sided pair (issue 18 item 3): once a collection's items are re-projected into a
/// joint space, an item written later must land there too, or joint-space search never finds it. The old side is the
/// re-projection migration's write rule (an old vector gets its joint vector through the gallery map, as the backfill
/// computes it). This step covers the new model's side: a write that carries the new model's vector but neither a joint
/// vector nor an old one gets <c>query(new)</c> in the joint space, so that it counts as a native joint vector (the
/// re-projection has nothing to recompute for it). It applies while the pair's re-projection migration keeps both spaces,
/// and for as long as the pair's query side is active (after cut-over, and after retire, when the old space is gone and
/// new-model vectors are the only ones written).
/// </summary>
internal static class JointSpaceProjection
{
    /// <summary>The batch with joint vectors added where this rule gives them. Caller holds the write gate.</summary>
    public static WriteBatch Apply(CollectionState state, WriteBatch batch)
    {
        if (batch.Upserts.Count == 0)
        {
            return batch;
        }

        var routes = Routes(state);
        if (routes.Count == 0)
        {
            return batch;
        }

        var oldSpace = state.Migration is { } migration && MigrationPhaseRules.KeepsBothSpaces(migration.Phase) ? migration.Row.FromSpace : null;
        List<ItemWrite>? changed = null;
        for (var i = 0; i < batch.Upserts.Count; i++)
        {
            var write = batch.Upserts[i];
            Dictionary<string, float[]>? vectors = null;
            foreach (var route in routes)
            {
                // A write with the old vector is the migration's: its joint vector comes through the gallery side.
                if (write.Vectors.ContainsKey(route.Joint.Name) || (oldSpace is not null && write.Vectors.ContainsKey(oldSpace))
                    || !write.Vectors.TryGetValue(route.From, out var newVector))
                {
                    continue;
                }

                vectors ??= new Dictionary<string, float[]>(write.Vectors, StringComparer.Ordinal);
                vectors[route.Joint.Name] = SpaceProjection.Apply(route.Map, newVector, route.Joint.Dimension, route.Joint.Metric == Metric.Cosine);
            }

            if (vectors is not null)
            {
                changed ??= [.. batch.Upserts];
                changed[i] = write with { Vectors = vectors };
            }
        }

        return changed is null ? batch : batch with { Upserts = changed };
    }

    /// <summary>
    /// The query sides that project into a joint space now: every active two-sided query map, and the one of the open
    /// re-projection migration while it keeps both spaces (before cut-over its query side is not active yet).
    /// </summary>
    private static List<(string From, SpaceDefinition Joint, CompatibilityMap Map)> Routes(CollectionState state)
    {
        var routes = new List<(string, SpaceDefinition, CompatibilityMap)>();
        var ids = state.Maps.List()
            .Where(m => m is { Kind: MapKind.TwoSided, State: MapState.Active, Report.TwoSided.Role: TwoSidedRole.Query })
            .Select(m => m.Id)
            .ToList();
        if (state.Migration is { } migration && MigrationPhaseRules.KeepsBothSpaces(migration.Phase) && MigrationCoordinator.IsReprojection(migration)
            && MigrationCoordinator.ReprojectionQueryMapId(state, migration.Row) is { } pending && !ids.Contains(pending))
        {
            ids.Add(pending);
        }

        foreach (var id in ids)
        {
            if (state.Maps.Find(id) is { } map && state.Definition.FindSpace(map.Info.ToSpace) is { IsMulti: false } joint
                && state.Definition.FindSpace(map.Info.FromSpace) is { IsMulti: false })
            {
                routes.Add((map.Info.FromSpace, joint, map.Map));
            }
        }

        return routes;
    }
}
