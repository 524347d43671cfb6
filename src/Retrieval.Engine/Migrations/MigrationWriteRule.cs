using Retrieval.Core.Errors;
using Retrieval.Core.Storage;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// Writes while a migration keeps both spaces (active → cut over): every item must end with an old and a new vector.
/// <list type="bullet">
/// <item>Both vectors given: stored as given; the new one is native.</item>
/// <item>Only the new vector: native; an item that then lacks an old vector gets <c>map(new)</c> (counted as mapped on write).</item>
/// <item>Only the old vector: the new one is derived through the inverse map and marked derived (re-backfilled later);
/// without an inverse map the batch is refused with FAILED_PRECONDITION naming the missing space.</item>
/// <item>No vector (payload only): unchanged.</item>
/// </list>
/// An existing item whose new vector becomes native counts as backfilled, once: a repeated batch counts nothing.
/// </summary>
internal static class MigrationWriteRule
{
    /// <summary>Caller holds the collection's write gate (the item table cannot change underneath).</summary>
    public static (IReadOnlyList<ItemWrite> Writes, MigrationMarks Marks) Apply(
        CollectionState state, MigrationRuntime migration, IReadOnlyList<ItemWrite> writes, IReadOnlyList<string> deletes, string? clientCheckpoint, string? workerCursor)
    {
        var row = migration.Row;
        var oldSpace = migration.OldSpace(state.Definition);
        var newSpace = migration.NewSpace(state.Definition);
        var result = new List<ItemWrite>(writes.Count);
        var derived = new List<string>();
        var native = new List<string>();
        long backfilled = 0, mapped = 0, derivedCount = 0;
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            var hasOld = write.Vectors.ContainsKey(row.FromSpace);
            var hasNew = write.Vectors.TryGetValue(row.ToSpace, out var newVector);
            var exists = state.TryFind(write.Id, out var shard, out var slot);
            if (hasNew)
            {
                if (exists && !migration.IsNative(shard, slot))
                {
                    backfilled++;
                }

                if (migration.DerivedIds.Contains(write.Id))
                {
                    native.Add(write.Id);
                }

                var oldExists = exists && shard.GetSpace(row.FromSpace).Contains(slot);
                if (!hasOld && !oldExists)
                {
                    var forward = migration.Forward
                        ?? throw RetrievalException.Precondition($"migration '{row.Id}' has no fitted map to give item '{write.Id}' a vector in space '{row.FromSpace}'");
                    var vectors = new Dictionary<string, float[]>(write.Vectors, StringComparer.Ordinal)
                    {
                        [row.FromSpace] = SpaceProjection.Apply(forward, newVector, oldSpace.Dimension, oldSpace.Metric == Core.Model.Metric.Cosine),
                    };
                    write = write with { Vectors = vectors };
                    mapped++;
                }
            }
            else if (hasOld)
            {
                var inverse = migration.Inverse
                    ?? throw RetrievalException.Precondition(
                        $"items[{i}] carries a vector for space '{row.FromSpace}' only, but migration '{row.Id}' ({MigrationPhaseNames.Of(row.Phase)}) needs one for space '{row.ToSpace}' too and has no inverse map; send both vectors");
                var vectors = new Dictionary<string, float[]>(write.Vectors, StringComparer.Ordinal)
                {
                    [row.ToSpace] = SpaceProjection.Apply(inverse, write.Vectors[row.FromSpace], newSpace.Dimension, newSpace.Metric == Core.Model.Metric.Cosine),
                };
                write = write with { Vectors = vectors };
                derived.Add(write.Id);
                derivedCount++;
            }

            result.Add(write);
        }

        foreach (var id in deletes)
        {
            if (migration.DerivedIds.Contains(id))
            {
                native.Add(id);
            }
        }

        // A worker step (it advances the cursor) commits only over the cursor it walked from: in a cluster the store
        // refuses a stale runner's step, as this node's write gate refuses one here.
        var workerStep = workerCursor is null ? null : new MigrationWorkerStep(row.WorkerCursor);
        return (result, new MigrationMarks(row.Id, row.Phase, backfilled, mapped, derivedCount, derived, native, workerCursor, clientCheckpoint, workerStep));
    }
}
