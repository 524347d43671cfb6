using Retrieval.Core.Maps;
using Retrieval.Core.Migrations;
using Retrieval.Core.Storage;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// The write path's side of online refit: while a migration backfills, every batch that makes existing items' new vectors
/// native adds their (new, old) pairs to the migration's anchor statistics, committed with the batch
/// (<see cref="MigrationMarks.Statistics"/>). The first such batch seeds the statistics from every item that already
/// holds both vectors natively, on top of the statistics <c>fit</c> stored from its inline anchors (which are no items,
/// so no batch would add them), so the stream starts from everything <c>fit</c> used.
/// </summary>
/// <remarks>
/// No pair is counted twice: a pair is added only by the batch that makes the item native, in that batch's transaction,
/// and a repeated batch finds the item native already. Pairs whose item id falls in the held-out slice are counted but
/// kept out of the statistics. Items whose vectors change after they were counted stay counted as they were (the
/// statistics describe the stream, not the current items).
/// </remarks>
internal static class OnlineRefitCollector
{
    /// <summary>Pairs added to the statistics per block (bounds the memory of a seed over a large collection).</summary>
    private const int BlockPairs = 4096;

    /// <summary>
    /// Adds the statistics of <paramref name="marked"/> (the batch after the write rule) to its marks, from the vectors of
    /// <paramref name="original"/> (the writes as the client sent them: an old vector the rule mapped is not a pair). Caller
    /// holds the write gate.
    /// </summary>
    public static WriteBatch Collect(CollectionState state, MigrationRuntime migration, IReadOnlyList<ItemWrite> original, WriteBatch marked)
    {
        if (migration.Phase != MigrationPhase.Backfilling || migration.Forward is not { } forward || marked.Migration is not { } marks)
        {
            return marked;
        }

        var parameters = MigrationParameters.Deserialize(migration.Row.Settings);
        var settings = parameters.Refit;
        // A re-projection's new vectors are the two-sided map's product of the old ones: the pairs teach nothing new.
        if (!settings.Enabled || parameters.TwoSidedMap is not null)
        {
            return marked;
        }

        var seed = parameters.Seed ?? 1;
        var newSpace = migration.NewSpace(state.Definition);
        var oldSpace = migration.OldSpace(state.Definition);
        var (pairs, heldOut) = state.Read(s => BatchPairs(s, migration, original, settings, seed));
        var learning = migration.Learning;
        // Nothing to add (a write of old vectors only, or of items already native): the statistics stay as stored.
        if (pairs.Count == 0 && heldOut == 0)
        {
            return marked;
        }

        var keepsReservoir = !StatisticsMapFitter.CanFit(forward.Kind);
        AnchorStatistics statistics;
        long seedPairs;
        var slots = new Dictionary<int, string>();
        if (learning is { ItemsSeeded: true, Statistics: { } current })
        {
            statistics = current.Clone();
            seedPairs = learning.SeedPairs;
        }
        else
        {
            // First batch of the stream (or statistics lost with a restored backup): start from what fit stored from its
            // inline anchors, if anything, plus every item holding both vectors natively now, outside the held-out slice;
            // the batch's own items are not native yet.
            var fitted = learning?.Statistics;
            statistics = fitted?.Clone() ?? new AnchorStatistics(newSpace.Dimension, oldSpace.Dimension);
            if (learning is null)
            {
                learning = new OnlineRefitLearning(null, 0, 0, new string?[keepsReservoir ? settings.ReservoirSize : 0], DateTimeOffset.UtcNow);
                migration.Learning = learning;
            }

            var (seedList, seedHeldOut) = state.Read(s => SeedPairs(s, migration, settings, seed));
            AddPairs(statistics, seedList, newSpace.Dimension, oldSpace.Dimension, keepsReservoir ? slots : null, settings.ReservoirSize, seed);
            heldOut += seedHeldOut;
            seedPairs = statistics.Count + seedHeldOut;
        }

        AddPairs(statistics, pairs, newSpace.Dimension, oldSpace.Dimension, keepsReservoir ? slots : null, settings.ReservoirSize, seed);
        var write = new MigrationStatisticsWrite(
            statistics.Serialize(),
            learning.HeldOutPairs + heldOut,
            seedPairs,
            slots.OrderBy(s => s.Key).Select(s => new MigrationReservoirSlot(s.Key, s.Value)).ToList())
        {
            ExpectedVersion = learning.Version,
        };
        learning.Stage(write, statistics);
        return marked with { Migration = marks with { Statistics = write } };
    }

    /// <summary>The batch's new pairs (item id, new, old) outside the held-out slice, and how many fell inside it. Caller holds a lock.</summary>
    private static (List<(string Id, float[] New, float[] Old)> Pairs, long HeldOut) BatchPairs(
        CollectionState state, MigrationRuntime migration, IReadOnlyList<ItemWrite> writes, OnlineRefitSettings settings, int seed)
    {
        var (from, to) = (migration.Row.FromSpace, migration.Row.ToSpace);
        var pairs = new List<(string, float[], float[])>();
        long heldOut = 0;
        foreach (var write in writes)
        {
            if (!write.Vectors.TryGetValue(to, out var newVector) || !state.TryFind(write.Id, out var shard, out var slot) || migration.IsNative(shard, slot))
            {
                continue;
            }

            var oldStored = shard.GetSpace(from);
            var oldVector = write.Vectors.TryGetValue(from, out var given) ? given : oldStored.GetVector(slot);
            if (oldVector is null)
            {
                continue;
            }

            if (HeldOutSlice.Contains(write.Id, settings.HeldOutFraction, seed))
            {
                heldOut++;
            }
            else
            {
                pairs.Add((write.Id, newVector, oldVector));
            }
        }

        return (pairs, heldOut);
    }

    /// <summary>
    /// Every item holding both vectors natively, in id order: the pairs outside the held-out slice, and how many fell
    /// inside it (counted as held out, so that the pairs seen always equal the items made native). Caller holds a lock.
    /// </summary>
    private static (List<(string Id, float[] New, float[] Old)> Pairs, long HeldOut) SeedPairs(CollectionState state, MigrationRuntime migration, OnlineRefitSettings settings, int seed)
    {
        var pairs = new List<(string, float[], float[])>();
        long heldOut = 0;
        foreach (var (id, shard, slot) in state.ItemsInIdOrder(null))
        {
            if (!migration.IsNative(shard, slot) || shard.GetSpace(migration.Row.FromSpace).GetVector(slot) is not { } old)
            {
                continue;
            }

            if (HeldOutSlice.Contains(id, settings.HeldOutFraction, seed))
            {
                heldOut++;
            }
            else
            {
                pairs.Add((id, shard.GetSpace(migration.Row.ToSpace).VectorOf(slot).ToArray(), old));
            }
        }

        return (pairs, heldOut);
    }

    /// <summary>Adds pairs block by block; with a reservoir, records the slot each pair lands in (a later pair wins a slot).</summary>
    private static void AddPairs(AnchorStatistics statistics, List<(string Id, float[] New, float[] Old)> pairs, int dn, int dOld, Dictionary<int, string>? slots, int capacity, int seed)
    {
        foreach (var block in pairs.Chunk(BlockPairs))
        {
            if (slots is not null)
            {
                for (var i = 0; i < block.Length; i++)
                {
                    if (HeldOutSlice.ReservoirSlot(statistics.Count + i, capacity, seed) is { } slot)
                    {
                        slots[slot] = block[i].Id;
                    }
                }
            }

            var newRows = new float[block.Length * dn];
            var oldRows = new float[block.Length * dOld];
            for (var i = 0; i < block.Length; i++)
            {
                block[i].New.CopyTo(newRows, i * dn);
                block[i].Old.CopyTo(oldRows, i * dOld);
            }

            statistics.Add(new AnchorSet(newRows, dn, oldRows, dOld));
        }
    }
}
