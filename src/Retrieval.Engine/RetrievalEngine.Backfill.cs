using Retrieval.Core.Errors;
using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.State;
using Retrieval.Engine.Validation;

namespace Retrieval.Engine;

/// <summary>
/// Backfill: client-supplied new vectors (source a) and the server worker's steps through a
/// <see cref="IBackfillVectorProducer"/> (source b). Both commit the vectors and the migration's checkpoint in one
/// transaction, so a crash loses or repeats nothing: a repeated batch finds its items native already and counts nothing.
/// </summary>
public sealed partial class RetrievalEngine
{
    /// <summary>Longest client checkpoint token, in characters.</summary>
    public const int MaxCheckpointLength = 1024;

    /// <summary>
    /// Sets native new-space vectors of existing items (ids deleted meanwhile are skipped) and, with them, the client's
    /// resume token <paramref name="checkpoint"/>. Only in phase backfilling.
    /// </summary>
    public async Task<BackfillResult> BackfillAsync(string collection, string id, IReadOnlyList<BackfillVector> vectors, string? checkpoint, CancellationToken cancellationToken)
    {
        var state = GetState(collection);
        if (vectors.Count == 0)
        {
            throw RetrievalException.Invalid("vectors", "at least one vector is required");
        }

        if (vectors.Count > _options.MaxBatchItems)
        {
            throw RetrievalException.Invalid("vectors", $"{vectors.Count} vectors exceed the batch limit of {_options.MaxBatchItems}");
        }

        if (checkpoint is { Length: > MaxCheckpointLength })
        {
            throw RetrievalException.Invalid("checkpoint", $"must be at most {MaxCheckpointLength} characters");
        }

        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            var migration = await RequireBackfillingAsync(state, id, cancellationToken);
            var space = migration.NewSpace(state.Definition);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var writes = new List<ItemWrite>(vectors.Count);
            var skipped = 0;
            for (var i = 0; i < vectors.Count; i++)
            {
                Names.ValidateItemId(vectors[i].Id, $"vectors[{i}].id");
                if (!seen.Add(vectors[i].Id))
                {
                    throw RetrievalException.Invalid($"vectors[{i}].id", $"duplicate id '{vectors[i].Id}' in one batch");
                }

                var vector = VectorValidator.Validate(vectors[i].Vector, space, $"vectors[{i}].vector");
                if (Read(state, s => s.Items.TryGetSlot(vectors[i].Id, out _)))
                {
                    writes.Add(new ItemWrite(vectors[i].Id, null, new Dictionary<string, float[]>(StringComparer.Ordinal) { [space.Name] = vector }));
                }
                else
                {
                    skipped++;
                }
            }

            var before = migration.Row.Backfilled;
            var sequence = await CommitAsync(state, new WriteBatch(writes, []), clientCheckpoint: checkpoint);
            var after = state.Migration?.Row.Backfilled ?? before;
            MigrationMetrics.BackfilledItems(collection, id, after - before);
            return new BackfillResult(writes.Count, skipped, sequence, Describe(state, state.Migration!.Row));
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    /// <summary>Collections whose open migration is backfilling with an encoder some producer serves (the worker's work list).</summary>
    public IReadOnlyList<(string Collection, string Migration, double ItemsPerSecond)> ServerBackfills()
    {
        var result = new List<(string, string, double)>();
        foreach (var state in _collections.Values)
        {
            if (!state.IsDeleted && state.Migration is { Phase: MigrationPhase.Backfilling } migration
                && JobOf(state.Definition, migration) is { } job && FindProducer(job, out _) is not null)
            {
                result.Add((state.Definition.Name, migration.Row.Id, MigrationSettings.Deserialize(migration.Row.Settings).ItemsPerSecond));
            }
        }

        return result;
    }

    /// <summary>
    /// One step of the server backfill: the next <paramref name="maxItems"/> items after the cursor (ordinal id order) that
    /// lack a native new vector are produced and committed with the advanced cursor; once the walk is done, derived items are
    /// re-backfilled. Returns how many items were walked (0: nothing left, or the migration is not backfilling).
    /// </summary>
    /// <remarks>
    /// The producer runs outside the write gate, so a client may write an item meanwhile: under the gate, an item is
    /// written only when it still exists, is still not native, and still holds the old vector the input was read with;
    /// otherwise the client's write stands (a derived item is walked again with the derived ones). An item the producer
    /// has nothing for (no stored input, or an input the encoder refuses) is left for the client: the walk passes it, and
    /// a derived one is not retried until the server restarts.
    /// </remarks>
    public async Task<int> RunBackfillStepAsync(string collection, int maxItems, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        var state = GetState(collection);
        if (state.Migration is not { Phase: MigrationPhase.Backfilling } migration || JobOf(state.Definition, migration) is not { } job)
        {
            return 0;
        }

        var producer = FindProducer(job, out _);
        if (producer is null)
        {
            return 0;
        }

        var (items, cursor, walked) = Read(state, s => NextBackfillItems(s, migration, maxItems));
        if (walked == 0)
        {
            return 0;
        }

        var produced = items.Count == 0 ? [] : await producer.ProduceAsync(job, items, cancellationToken);
        if (produced.Count != items.Count)
        {
            throw new InvalidOperationException($"backfill producer returned {produced.Count} vectors for {items.Count} items");
        }

        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            if (state.Migration is not { Phase: MigrationPhase.Backfilling } current || current.Row.Id != migration.Row.Id || current.Row.WorkerCursor != migration.Row.WorkerCursor)
            {
                return 0;
            }

            var space = current.NewSpace(state.Definition);
            var writes = new List<ItemWrite>(items.Count);
            var leftForClient = new List<string>();
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                if (produced[i] is not { } result)
                {
                    leftForClient.Add(item.Id);
                    continue;
                }

                if (Read(state, s => Unchanged(s, current, item)))
                {
                    var validated = VectorValidator.Validate(result.Vector, space, $"encoder '{job.Encoder}' output for item '{item.Id}'");
                    var inputs = state.Definition.StoreInputs && result.Input is { } input
                        ? new Dictionary<string, RawInput>(StringComparer.Ordinal) { [space.Name] = input }
                        : null;
                    writes.Add(new ItemWrite(item.Id, null, new Dictionary<string, float[]>(StringComparer.Ordinal) { [space.Name] = validated }, inputs));
                }
            }

            var before = current.Row.Backfilled;
            await CommitAsync(state, new WriteBatch(writes, []), workerCursor: cursor);
            Mutate(state, _ => current.LeftForClient.UnionWith(leftForClient));
            MigrationMetrics.BackfilledItems(collection, current.Row.Id, (state.Migration?.Row.Backfilled ?? before) - before);
            var progress = Read(state, s => Progress(s, state.Migration!));
            MigrationLog.BackfillProgress(_logger, collection, current.Row.Id, progress.NativeItems, progress.TotalItems, cursor);
            return walked;
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    /// <summary>What the server-side backfill of an open migration with an encoder fills; null without an encoder.</summary>
    private static BackfillJob? JobOf(CollectionDefinition definition, MigrationRuntime migration) =>
        migration.Row.Encoder is { } encoder && definition.FindSpace(migration.Row.ToSpace) is { } to
            ? new BackfillJob(definition, migration.Row.FromSpace, to, encoder)
            : null;

    /// <summary>The first producer that can fill <paramref name="job"/>; otherwise null and every producer's reason.</summary>
    private IBackfillVectorProducer? FindProducer(BackfillJob job, out string whyNot)
    {
        var reasons = new List<string>();
        foreach (var producer in _backfillProducers)
        {
            if (producer.WhyNot(job) is not { } reason)
            {
                whyNot = "";
                return producer;
            }

            reasons.Add(reason);
        }

        whyNot = reasons.Count == 0 ? "this server runs no encoders" : string.Join("; ", reasons);
        return null;
    }

    /// <summary>
    /// True when the item still exists, is still not native, and still holds the old vector it was read with, so a
    /// produced vector does not overwrite a client's newer write. Caller holds a lock.
    /// </summary>
    private static bool Unchanged(CollectionState state, MigrationRuntime migration, BackfillSourceItem item)
    {
        if (!state.Items.TryGetSlot(item.Id, out var slot) || migration.IsNative(state, slot))
        {
            return false;
        }

        var old = state.GetSpace(migration.Row.FromSpace);
        return item.Vectors.TryGetValue(migration.Row.FromSpace, out var read)
            ? old.Contains(slot) && old.VectorOf(slot).SequenceEqual(read)
            : !old.Contains(slot);
    }

    /// <summary>
    /// The next items the worker handles: ids after the cursor in ordinal order (the ones already native are walked past),
    /// or, once the walk reached the end, the derived items the producer has not already left for the client. Caller holds
    /// a read lock.
    /// </summary>
    private static (List<BackfillSourceItem> Items, string? Cursor, int Walked) NextBackfillItems(CollectionState state, MigrationRuntime migration, int maxItems)
    {
        var items = new List<BackfillSourceItem>();
        string? last = null;
        var walked = 0;
        foreach (var id in state.Items.IdsAfter(migration.Row.WorkerCursor))
        {
            state.Items.TryGetSlot(id, out var slot);
            if (!migration.IsNative(state, slot))
            {
                items.Add(SourceItem(state, slot));
            }

            last = id;
            if (++walked == maxItems)
            {
                break;
            }
        }

        if (walked > 0)
        {
            return (items, last, walked);
        }

        foreach (var id in migration.DerivedIds.Where(id => !migration.LeftForClient.Contains(id)).Order(StringComparer.Ordinal).Take(maxItems))
        {
            if (state.Items.TryGetSlot(id, out var slot))
            {
                items.Add(SourceItem(state, slot));
            }
        }

        return (items, null, items.Count);
    }

    private static BackfillSourceItem SourceItem(CollectionState state, int slot)
    {
        var item = state.Items[slot]!;
        return new BackfillSourceItem(item.Id, item.PayloadJson, state.VectorsOf(slot));
    }

    private async Task<MigrationRuntime> RequireBackfillingAsync(CollectionState state, string? id, CancellationToken cancellationToken)
    {
        if (state.Migration is { Phase: MigrationPhase.Backfilling } open && open.Row.Id == id)
        {
            return open;
        }

        var row = await RequireStoredMigrationAsync(state, id, cancellationToken);
        throw IllegalTransition(row, "backfill into", [MigrationPhase.Backfilling]);
    }

    /// <summary>Runs the open migration's write rule over a batch, when the migration keeps both spaces. Caller holds the write gate.</summary>
    private static WriteBatch WithMigrationMarks(CollectionState state, WriteBatch batch, string? clientCheckpoint, string? workerCursor)
    {
        if (state.Migration is not { } migration || !MigrationPhaseRules.KeepsBothSpaces(migration.Phase))
        {
            return batch;
        }

        var (writes, marks) = Read(state, s => MigrationWriteRule.Apply(s, migration, batch.Upserts, batch.Deletes, clientCheckpoint, workerCursor));
        return new WriteBatch(writes, batch.Deletes) { Migration = marks };
    }
}
