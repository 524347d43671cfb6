using Microsoft.Extensions.Logging;
using Retrieval.Core.Errors;
using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;
using Retrieval.Engine.Replication;
using Retrieval.Engine.State;
using Retrieval.Engine.Validation;
using Retrieval.Engine.Writes;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// Backfill: client-supplied new vectors (source a) and the server worker's steps through a
/// <see cref="IBackfillVectorProducer"/> (source b). Both commit the vectors and the migration's checkpoint in one
/// transaction, so a crash loses or repeats nothing: a repeated batch finds its items native already and counts nothing.
/// </summary>
internal sealed class BackfillService
{
    /// <summary>Longest client checkpoint token, in characters.</summary>
    public const int MaxCheckpointLength = 1024;

    private readonly CollectionCatalog _catalog;
    private readonly MigrationCoordinator _coordinator;
    private readonly WritePipeline _writes;
    private readonly ChangeCatchUp _catchUp;
    private readonly BackfillProducers _producers;
    private readonly int _maxBatchItems;
    private readonly ILogger _logger;

    public BackfillService(CollectionCatalog catalog, MigrationCoordinator coordinator, WritePipeline writes, ChangeCatchUp catchUp, BackfillProducers producers, int maxBatchItems, ILogger logger)
    {
        _catalog = catalog;
        _coordinator = coordinator;
        _writes = writes;
        _catchUp = catchUp;
        _producers = producers;
        _maxBatchItems = maxBatchItems;
        _logger = logger;
    }


    /// <summary>
    /// Sets native new-space vectors of existing items (ids deleted meanwhile are skipped) and, with them, the client's
    /// resume token <paramref name="checkpoint"/>. Only in phase backfilling.
    /// </summary>
    public async Task<BackfillResult> BackfillAsync(string collection, string id, IReadOnlyList<BackfillVector> vectors, string? checkpoint, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        if (vectors.Count == 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("vectors"), "at least one vector is required");
        }

        if (vectors.Count > _maxBatchItems)
        {
            throw RetrievalException.Invalid(FieldPath.Of("vectors"), $"{vectors.Count} vectors exceed the batch limit of {_maxBatchItems}");
        }

        if (checkpoint is { Length: > MaxCheckpointLength })
        {
            throw RetrievalException.Invalid(FieldPath.Of("checkpoint"), $"must be at most {MaxCheckpointLength} characters");
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
                Names.ValidateItemId(vectors[i].Id, FieldPath.Of("vectors").Index(i).Member("id"));
                if (!seen.Add(vectors[i].Id))
                {
                    throw RetrievalException.Invalid(FieldPath.Of("vectors").Index(i).Member("id"), $"duplicate id '{vectors[i].Id}' in one batch");
                }

                var vector = VectorValidator.Validate(vectors[i].Vector, space, FieldPath.Of("vectors").Index(i).Member("vector"));
                if (state.Read(s => s.Contains(vectors[i].Id)))
                {
                    writes.Add(new ItemWrite(vectors[i].Id, null, new Dictionary<string, float[]>(StringComparer.Ordinal) { [space.Name] = vector }));
                }
                else
                {
                    skipped++;
                }
            }

            var before = migration.Row.Backfilled;
            var sequence = await _writes.CommitAsync(state, new WriteBatch(writes, []), clientCheckpoint: checkpoint);
            var after = state.Migration?.Row.Backfilled ?? before;
            MigrationMetrics.BackfilledItems(collection, id, after - before);
            return new BackfillResult(writes.Count, skipped, sequence, MigrationCoordinator.Describe(state, state.Migration!.Row));
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
        foreach (var state in _catalog.All)
        {
            if (state.Migration is { Phase: MigrationPhase.Backfilling } migration
                && BackfillProducers.JobOf(state.Definition, migration) is { } job && _producers.Find(job, out _) is not null)
            {
                result.Add((state.Definition.Name, migration.Row.Id, MigrationParameters.Deserialize(migration.Row.Settings).ItemsPerSecond));
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
        var state = _catalog.Get(collection);
        if (state.Migration is not { Phase: MigrationPhase.Backfilling } migration || BackfillProducers.JobOf(state.Definition, migration) is not { } job)
        {
            return 0;
        }

        var producer = _producers.Find(job, out _);
        if (producer is null)
        {
            return 0;
        }

        var (items, cursor, walked) = state.Read(s => NextBackfillItems(s, migration, maxItems));
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
            // Unchanged is decided from memory: another node's write to an item since it was read must be applied
            // first, or the vector encoded from the old input would overwrite it in the new space.
            await _catchUp.BeforeDecidingAsync(state);
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

                if (state.Read(s => Unchanged(s, current, item)))
                {
                    // Not a request field: the encoder's output for the stored item, named by its place in the collection.
                    var validated = VectorValidator.Validate(result.Vector, space, FieldPath.Of("items").Key(item.Id).Member("vectors").Key(space.Name));
                    var inputs = state.Definition.StoreInputs && result.Input is { } input
                        ? new Dictionary<string, RawInput>(StringComparer.Ordinal) { [space.Name] = input }
                        : null;
                    writes.Add(new ItemWrite(item.Id, null, new Dictionary<string, float[]>(StringComparer.Ordinal) { [space.Name] = validated }, inputs));
                }
            }

            var before = current.Row.Backfilled;
            await _writes.CommitAsync(state, new WriteBatch(writes, []), workerCursor: cursor);
            state.Write(_ => current.LeftForClient.UnionWith(leftForClient));
            MigrationMetrics.BackfilledItems(collection, current.Row.Id, (state.Migration?.Row.Backfilled ?? before) - before);
            var progress = state.Read(s => MigrationCoordinator.Progress(s, state.Migration!));
            MigrationLog.BackfillProgress(_logger, collection, current.Row.Id, progress.NativeItems, progress.TotalItems, cursor);
            return walked;
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    /// <summary>
    /// True when the item still exists, is still not native, and still holds the old vector it was read with, so a
    /// produced vector does not overwrite a client's newer write. Caller holds a lock.
    /// </summary>
    private static bool Unchanged(CollectionState state, MigrationRuntime migration, BackfillSourceItem item)
    {
        if (!state.TryFind(item.Id, out var shard, out var slot) || migration.IsNative(shard, slot))
        {
            return false;
        }

        var old = shard.GetSpace(migration.Row.FromSpace);
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
        foreach (var (id, shard, slot) in state.ItemsInIdOrder(migration.Row.WorkerCursor))
        {
            if (!migration.IsNative(shard, slot))
            {
                items.Add(SourceItem(shard, slot));
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
            if (state.TryFind(id, out var shard, out var slot))
            {
                items.Add(SourceItem(shard, slot));
            }
        }

        return (items, null, items.Count);
    }

    private static BackfillSourceItem SourceItem(Shard state, int slot)
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

        var row = await _coordinator.RequireStoredMigrationAsync(state, id, cancellationToken);
        throw MigrationCoordinator.IllegalTransition(row, "backfill into", [MigrationPhase.Backfilling]);
    }
}
