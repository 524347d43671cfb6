using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;
using Retrieval.Engine.Encoders;
using Retrieval.Engine.Memory;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.MultiVector;
using Retrieval.Engine.Segments;
using Retrieval.Engine.State;
using Retrieval.Engine.Validation;

namespace Retrieval.Engine.Writes;

/// <summary>
/// The write path, as explicit steps: validate → encode raw inputs → apply the migration write rule → commit to the
/// store → apply to the shards → acknowledge. A batch is atomic: validated as a whole, committed in one transaction,
/// and applied to every shard it touches under one write lock.
/// </summary>
internal sealed class WritePipeline
{
    private readonly CollectionCatalog _catalog;
    private readonly IItemStore _store;
    private readonly EngineOptions _options;
    private readonly EncoderBinding _encoders;
    private readonly MigrationWriteStep _migrationStep;
    private readonly MultiVectorPreparation _multiVectors;
    private readonly SegmentOptimizer _optimizer;
    private readonly VectorMemoryBudget _memory;

    public WritePipeline(
        CollectionCatalog catalog,
        IItemStore store,
        EngineOptions options,
        EncoderBinding encoders,
        MigrationWriteStep migrationStep,
        MultiVectorPreparation multiVectors,
        SegmentOptimizer optimizer,
        VectorMemoryBudget memory)
    {
        _catalog = catalog;
        _store = store;
        _options = options;
        _encoders = encoders;
        _migrationStep = migrationStep;
        _multiVectors = multiVectors;
        _optimizer = optimizer;
        _memory = memory;
    }

    /// <summary>
    /// Upserts a batch atomically. Raw inputs are encoded first, outside the write gate, so slow models never hold up
    /// other writers; everything else happens under the gate.
    /// </summary>
    public async Task<WriteResult> UpsertAsync(string collection, IReadOnlyList<ItemWrite> items, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        var (withMigrationInputs, migrationInputs) = await _migrationStep.AddInputsAsync(state, items, cancellationToken);
        var (encoded, encodersUsed) = await _encoders.EncodeInputsAsync(state.Definition, withMigrationInputs, cancellationToken);
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            EncoderBinding.EnsureEncodersUnchanged(state.Definition, encodersUsed);
            // Validated under the gate: the space list cannot change between validation and commit.
            var validated = MigrationWriteStep.SettleInputs(state, WriteValidator.ValidateUpserts(encoded, state.Definition, _options), migrationInputs);
            await _multiVectors.PinLearnedCentersAsync(state, validated, cancellationToken);
            var prepared = MultiVectorPreparation.Prepare(state, validated);
            var sequence = await CommitAsync(state, WriteBatch.ForUpserts(validated), prepared);
            return new WriteResult(validated.Count, sequence);
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    /// <summary>Deletes the given ids (unknown ids are ignored). Returns how many existed.</summary>
    public async Task<WriteResult> DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        WriteValidator.ValidateIds(ids, FieldPath.Of("ids"), _options);
        var state = _catalog.Get(collection);
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            var existing = state.Read(s => ids.Distinct(StringComparer.Ordinal).Where(s.Contains).ToList());
            return existing.Count == 0
                ? new WriteResult(0, state.AppliedSequence)
                : new WriteResult(existing.Count, await CommitAsync(state, WriteBatch.ForDeletes(existing)));
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    /// <summary>Deletes every item whose payload matches the filter, in one atomic batch.</summary>
    public async Task<WriteResult> DeleteAsync(string collection, PayloadFilter filter, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            var matching = state.Read(s => s.Matching(filter).Select(m => m.Shard.Items[m.Slot]!.Id).ToList());
            return matching.Count == 0
                ? new WriteResult(0, state.AppliedSequence)
                : new WriteResult(matching.Count, await CommitAsync(state, WriteBatch.ForDeletes(matching)));
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    /// <summary>
    /// Commits a validated batch and applies it to the shards. Caller holds the write gate. An open migration may add
    /// vectors (through its maps) and marks that commit with the batch: see <see cref="MigrationWriteRule"/>.
    /// </summary>
    /// <remarks>
    /// The store write and the in-memory apply must not be abandoned half way: once the transaction may have committed,
    /// the indexes must follow it, so client cancellation stops at the gate, not here.
    /// </remarks>
    public async Task<long> CommitAsync(
        CollectionState state,
        WriteBatch batch,
        IReadOnlyDictionary<(string Id, string Space), PreparedMultiVector>? prepared = null,
        string? clientCheckpoint = null,
        string? workerCursor = null)
    {
        if (state.IsDeleted)
        {
            throw RetrievalException.NotFound($"collection '{state.Definition.Name}' not found");
        }

        batch = MigrationWriteStep.WithMarks(state, batch, clientCheckpoint, workerCursor);
        // Refused here, before the store sees the batch, a write past the memory budget changes nothing.
        using var admission = _memory.Admit(state, batch, prepared);
        var sequence = await _store.WriteAsync(state.Definition.Name, batch, CancellationToken.None);
        state.Write(s =>
        {
            s.Apply(batch, sequence, prepared);
            if (batch.Migration is { } marks)
            {
                s.Migration?.Apply(marks);
            }
        });
        _optimizer.Wake();
        return sequence;
    }
}
