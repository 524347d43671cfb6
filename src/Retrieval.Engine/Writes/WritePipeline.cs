using System.Data.Common;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;
using Retrieval.Engine.Encoders;
using Retrieval.Engine.Memory;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.MultiVector;
using Retrieval.Engine.Replication;
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
    /// <summary>Store writes of one batch whose anchor statistics raced another node's before the client is told to retry.</summary>
    private const int StatisticsAttempts = 4;

    private readonly CollectionCatalog _catalog;
    private readonly IItemStore _store;
    private readonly EngineOptions _options;
    private readonly EncoderBinding _encoders;
    private readonly MigrationWriteStep _migrationStep;
    private readonly MultiVectorPreparation _multiVectors;
    private readonly SegmentOptimizer _optimizer;
    private readonly VectorMemoryBudget _memory;
    private readonly ChangeCatchUp _catchUp;
    private readonly GroupCommitter _groups;
    private readonly ILogger _logger;

    public WritePipeline(
        CollectionCatalog catalog,
        IItemStore store,
        EngineOptions options,
        EncoderBinding encoders,
        MigrationWriteStep migrationStep,
        MultiVectorPreparation multiVectors,
        SegmentOptimizer optimizer,
        VectorMemoryBudget memory,
        ChangeCatchUp catchUp,
        ILogger logger)
    {
        _catalog = catalog;
        _store = store;
        _options = options;
        _encoders = encoders;
        _migrationStep = migrationStep;
        _multiVectors = multiVectors;
        _optimizer = optimizer;
        _memory = memory;
        _catchUp = catchUp;
        _logger = logger;
        _groups = new GroupCommitter(options.GroupCommit, BeforeDecidingAsync, (state, group) => CommitGroupAsync(state, group));
    }

    /// <summary>
    /// Upserts a batch atomically. Raw inputs are encoded first, outside the write gate, so slow models never hold up
    /// other writers; everything else happens under the gate, in a commit group (<see cref="GroupCommitter"/>). A batch of
    /// a stream (<paramref name="chain"/>) joins the queue after the stream's previous batch, and not at all once one failed.
    /// </summary>
    public async Task<WriteResult> UpsertAsync(string collection, IReadOnlyList<ItemWrite> items, WriteChain? chain, CancellationToken cancellationToken)
    {
        using var activity = EngineTracing.Start("write.upsert", collection);
        activity?.SetTag(EngineTracing.ItemsTag, items.Count);
        using var turn = chain?.TakeTurn();
        try
        {
            return await UpsertTracedAsync(collection, items, turn, cancellationToken);
        }
        catch (Exception e) when (EngineTracing.Failed(activity, e) || BreakChain(chain))
        {
            throw;
        }
    }

    private async Task<WriteResult> UpsertTracedAsync(string collection, IReadOnlyList<ItemWrite> items, WriteChain.Turn? turn, CancellationToken cancellationToken)
    {
        if (turn is not null)
        {
            await turn.Previous.WaitAsync(cancellationToken);
            if (turn.Chain.IsBroken)
            {
                throw RetrievalException.Aborted("an earlier batch of this stream failed, so this one was not written");
            }
        }

        var state = _catalog.Get(collection);
        IReadOnlyList<ItemWrite> encoded;
        IReadOnlyDictionary<string, Core.Model.EncoderRef> encodersUsed;
        MigrationWriteStep.MigrationInputs? migrationInputs;
        using (EngineTracing.Step("write.encode"))
        {
            (var withMigrationInputs, migrationInputs) = await _migrationStep.AddInputsAsync(state, items, cancellationToken);
            (encoded, encodersUsed) = await _encoders.EncodeInputsAsync(state.Definition, withMigrationInputs, cancellationToken);
        }

        return await _groups.SubmitAsync(state, DecideAsync, decidesOnAppliedState: false, encoded.Count, turn, cancellationToken);

        async Task<DecidedWrite?> DecideAsync(CollectionState s)
        {
            EncoderBinding.EnsureEncodersUnchanged(s.Definition, encodersUsed);
            // Validated under the gate: the space list cannot change between validation and commit.
            var validated = MigrationWriteStep.SettleInputs(s, WriteValidator.ValidateUpserts(encoded, s.Definition, _options), migrationInputs);
            await _multiVectors.PinLearnedCentersAsync(s, validated, CancellationToken.None);
            return new DecidedWrite(WriteBatch.ForUpserts(validated), MultiVectorPreparation.Prepare(s, validated), validated.Count);
        }
    }

    private static bool BreakChain(WriteChain? chain)
    {
        chain?.Break();
        return false;
    }

    /// <summary>Deletes the given ids (unknown ids are ignored). Returns how many existed.</summary>
    public async Task<WriteResult> DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        using var activity = EngineTracing.Start("write.delete", collection);
        try
        {
            WriteValidator.ValidateIds(ids, FieldPath.Of("ids"), _options);
            var state = _catalog.Get(collection);
            return await _groups.SubmitAsync(state, s =>
            {
                var existing = s.Read(shards => ids.Distinct(StringComparer.Ordinal).Where(shards.Contains).ToList());
                activity?.SetTag(EngineTracing.ItemsTag, existing.Count);
                return Task.FromResult(existing.Count == 0 ? null : new DecidedWrite(WriteBatch.ForDeletes(existing), null, existing.Count));
            }, decidesOnAppliedState: true, ids.Count, null, cancellationToken);
        }
        catch (Exception e) when (EngineTracing.Failed(activity, e))
        {
            throw;
        }
    }

    /// <summary>Deletes every item whose payload matches the filter, in one atomic batch.</summary>
    public async Task<WriteResult> DeleteAsync(string collection, PayloadFilter filter, CancellationToken cancellationToken)
    {
        using var activity = EngineTracing.Start("write.delete", collection);
        try
        {
            var state = _catalog.Get(collection);
            return await _groups.SubmitAsync(state, s =>
            {
                var matching = s.Read(shards => shards.Matching(filter).Select(m => m.Shard.Items[m.Slot]!.Id).ToList());
                activity?.SetTag(EngineTracing.ItemsTag, matching.Count);
                return Task.FromResult(matching.Count == 0 ? null : new DecidedWrite(WriteBatch.ForDeletes(matching), null, matching.Count));
            }, decidesOnAppliedState: true, 1, null, cancellationToken);
        }
        catch (Exception e) when (EngineTracing.Failed(activity, e))
        {
            throw;
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
        string? workerCursor = null) =>
        (await CommitGroupAsync(state, [new DecidedWrite(batch, prepared, 0)], clientCheckpoint, workerCursor))[0];

    /// <summary>
    /// Commits decided batches in one store transaction, each under its own sequence, and applies them in sequence
    /// order. Caller holds the write gate. A group of several that did not commit (nothing written, or a batch refused
    /// by the memory budget) throws <see cref="GroupNotCommittedException"/>, so that each is tried alone.
    /// </summary>
    private async Task<IReadOnlyList<long>> CommitGroupAsync(
        CollectionState state, IReadOnlyList<DecidedWrite> group, string? clientCheckpoint = null, string? workerCursor = null)
    {
        if (state.IsDeleted)
        {
            throw RetrievalException.NotFound($"collection '{state.Definition.Name}' not found");
        }

        await SettleUncertainCommitAsync(state);
        if (group.Count > 1 && state.Migration is { } migration && MigrationPhaseRules.KeepsBothSpaces(migration.Phase))
        {
            // Each batch's migration marks are computed from the items as the batch before it left them. This also keeps
            // every batch that carries a migration's anchor statistics alone, as backfill batches are: their
            // compare-and-set on the statistics version is retried per batch (WriteAsync), which a shared transaction
            // could not do without rolling back the other batches of the group.
            throw new GroupNotCommittedException(RetrievalException.Aborted("a migration that keeps both spaces is open: batches commit one by one"));
        }

        var batches = group.Select(w => Guarded(state, w.Batch, clientCheckpoint, workerCursor)).ToList();
        if (batches.Count > 1 && batches.Any(b => b.Migration?.Statistics is not null))
        {
            // Not reached while statistics come only with a migration that keeps both spaces (above); kept so that a
            // later phase that streams statistics cannot put two compare-and-sets on one version into one transaction.
            throw new GroupNotCommittedException(RetrievalException.Aborted("batches that carry migration statistics commit one by one"));
        }

        var admissions = new List<VectorMemoryBudget.Admission>(group.Count);
        try
        {
            // Refused here, before the store sees the batch, a write past the memory budget changes nothing.
            for (var i = 0; i < group.Count; i++)
            {
                admissions.Add(_memory.Admit(state, batches[i], group[i].Prepared));
            }
        }
        catch (RetrievalException e) when (group.Count > 1)
        {
            admissions.ForEach(a => a.Dispose());
            throw new GroupNotCommittedException(e);
        }

        try
        {
            return await CommitAdmittedAsync(state, batches, group, clientCheckpoint, workerCursor);
        }
        finally
        {
            admissions.ForEach(a => a.Dispose());
        }
    }

    private async Task<IReadOnlyList<long>> CommitAdmittedAsync(
        CollectionState state, List<WriteBatch> batches, IReadOnlyList<DecidedWrite> group, string? clientCheckpoint, string? workerCursor)
    {
        IReadOnlyList<long> sequences;
        using (var commit = EngineTracing.Step("write.commit"))
        {
            try
            {
                sequences = batches.Count == 1
                    ? [await WriteAsync(state, group[0].Batch, batches, clientCheckpoint, workerCursor)]
                    : await _store.WriteGroupAsync(state.Definition.Name, batches, CancellationToken.None);
                commit?.SetTag(EngineTracing.SequenceTag, sequences[^1]);
            }
            catch (StoreUnavailableException e) when (e.Outcome == StoreWriteOutcome.Unknown)
            {
                EngineTracing.RecordFailure(commit, e);
                // The store may have committed them: kept, so that the indexes follow the store once it can say.
                state.UncertainCommit = new UncertainCommit(batches, [.. group.Select(w => w.Prepared)], state.AppliedSequence);
                Log.CommitOutcomeUnknown(_logger, state.Definition.Name, state.AppliedSequence + 1);
                throw;
            }
            catch (Exception e) when (EngineTracing.Failed(commit, e) || batches.Count == 1)
            {
                throw;
            }
            catch (Exception e)
            {
                // The store answered: the shared transaction rolled back, nothing of the group was written.
                throw new GroupNotCommittedException(e);
            }
        }

        // On a cluster node, batches other nodes committed before this one are applied first (should that read fail,
        // this committed batch is applied by the next catch-up from the store instead).
        var sequence = sequences[0];
        try
        {
            await _catchUp.BeforeApplyAsync(state, sequence);
        }
        catch (Exception e) when (e is DbException or StoreUnavailableException)
        {
            // Not a generic failure: the client must not be told that nothing was written.
            throw new StoreUnavailableException(
                $"the batch was committed as sequence {sequence}, but the batches committed before it by other nodes could not be read to apply it in order; this node applies it once the store can be read: {e.Message}",
                StoreWriteOutcome.Unknown,
                e);
        }

        for (var i = 0; i < batches.Count; i++)
        {
            ApplyCommitted(state, batches[i], sequences[i], group[i].Prepared);
        }

        return sequences;
    }

    /// <summary>Once per commit group, under the gate, before any of its batches is decided.</summary>
    private async Task BeforeDecidingAsync(CollectionState state)
    {
        await SettleUncertainCommitAsync(state);
        await _catchUp.BeforeDecidingAsync(state);
    }

    /// <summary>
    /// The store write. When the batch carries a migration's anchor statistics and another node replaced them since this
    /// node read them (their compare-and-set failed; nothing was committed), this node catches up with the other nodes'
    /// batches, reads the statistics again and recomputes the marks over them, so that neither node's pairs are lost; after
    /// <see cref="StatisticsAttempts"/> such races the client is told to retry (ABORTED).
    /// </summary>
    /// <remarks>
    /// One batch only (<paramref name="batches"/> holds it): the rebuilt batch replaces it there, so that what is applied,
    /// or kept as an uncertain commit, is the batch that was sent last.
    /// </remarks>
    private async Task<long> WriteAsync(CollectionState state, WriteBatch input, List<WriteBatch> batches, string? clientCheckpoint, string? workerCursor)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _store.WriteAsync(state.Definition.Name, batches[0], CancellationToken.None);
            }
            catch (MigrationStatisticsConflictException e)
            {
                if (attempt == StatisticsAttempts)
                {
                    throw RetrievalException.Aborted(e.Message + "; send the batch again");
                }

                Log.StatisticsConflict(_logger, state.Definition.Name, e.MigrationId, attempt);
                await _catchUp.BeforeDecidingAsync(state);
                await _migrationStep.ReloadStatisticsAsync(state, CancellationToken.None);
                batches[0] = Guarded(state, input, clientCheckpoint, workerCursor);
            }
        }
    }

    /// <summary>The batch as the store gets it: the migration's marks, the cluster write guard and each item's shard.</summary>
    private WriteBatch Guarded(CollectionState state, WriteBatch input, string? clientCheckpoint, string? workerCursor) =>
        ShardStamping.Stamp(_catchUp.Guard(state, MigrationWriteStep.WithMarks(state, input, clientCheckpoint, workerCursor)), state.Definition.Shards);

    /// <summary>
    /// Brings the indexes level with the store after a batch whose commit outcome was unknown, before anything else is
    /// written to the collection. Caller holds the write gate. The store's last sequence says what happened: unchanged,
    /// the batch did not commit; one more, it did (writes to a collection are serialized here, so that sequence is the
    /// batch's) and it is applied as it would have been. Anything else (another writer of the same store) is caught up
    /// from the store's change feed. When the store cannot be read yet, the caller's batch is refused, not sent.
    /// </summary>
    private async Task SettleUncertainCommitAsync(CollectionState state)
    {
        if (state.UncertainCommit is not { } uncertain)
        {
            return;
        }

        var name = state.Definition.Name;
        try
        {
            if (_catchUp.Enabled)
            {
                // On a cluster node the next sequence may be another node's batch, not this one: the change feed holds
                // whichever batches committed (this one among them when it did), so catching up from it settles both.
                var from = state.AppliedSequence;
                await _catchUp.BeforeDecidingAsync(state);
                Log.UncertainCommitCaughtUp(_logger, name, from, state.AppliedSequence);
                state.UncertainCommit = null;
                return;
            }

            var last = await _store.GetLastSequenceAsync(name, CancellationToken.None);
            if (last == uncertain.AppliedBefore)
            {
                Log.UncertainCommitSettled(_logger, name, uncertain.AppliedBefore + 1, "was not committed");
            }
            else if (last == uncertain.AppliedBefore + uncertain.Batches.Count && state.AppliedSequence == uncertain.AppliedBefore)
            {
                // One transaction: all of its batches committed, under the sequences after the one applied before.
                for (var i = 0; i < uncertain.Batches.Count; i++)
                {
                    ApplyCommitted(state, uncertain.Batches[i], uncertain.AppliedBefore + 1 + i, uncertain.Prepared[i]);
                }

                Log.UncertainCommitSettled(_logger, name, last, "was committed; applied now");
            }
            else
            {
                var from = state.AppliedSequence;
                await foreach (var change in _store.ReadChangesAsync(name, from, CancellationToken.None))
                {
                    state.Write(s => s.Apply(change));
                }

                Log.UncertainCommitCaughtUp(_logger, name, from, last);
            }
        }
        catch (Exception e) when (e is DbException or StoreUnavailableException)
        {
            throw new StoreUnavailableException(
                $"the store could not be read to settle an earlier batch whose commit outcome is unknown; this batch was not sent: {e.Message}",
                StoreWriteOutcome.NotCommitted,
                e);
        }

        state.UncertainCommit = null;
    }

    /// <summary>Cluster mode with shard replicas: told of every batch applied here, so the replicas of its shards apply it.</summary>
    public Cluster.ReplicaApplyNotice? Replicas { get; init; }

    private void ApplyCommitted(
        CollectionState state, WriteBatch batch, long sequence, IReadOnlyDictionary<(string Id, string Space), PreparedMultiVector>? prepared)
    {
        using var apply = EngineTracing.Step("write.apply");
        state.Write(s =>
        {
            s.Apply(batch, sequence, prepared);
            if (batch.Migration is { } marks)
            {
                s.Migration?.Apply(marks);
            }
        });
        _optimizer.Wake();
        Replicas?.Committed(state.Definition, batch, sequence);
    }
}
