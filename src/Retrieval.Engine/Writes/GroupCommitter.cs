using System.Runtime.CompilerServices;
using Retrieval.Core.Errors;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Writes;

/// <summary>
/// Group commit. Write batches to one collection queue up; one writer at a time (the leader) takes the write gate and
/// with it every batch that queued while the previous commit was in flight, decides each one in arrival order (validation,
/// ids, multi-vectors: a batch that fails here fails alone and changes nothing), and commits the rest in one store
/// transaction, each under its own consecutive sequence, then applies them in sequence order and acknowledges each.
/// So one durable flush serves many batches, and a lone batch is committed at once, with no waiting window.
/// </summary>
/// <remarks>
/// When the shared transaction fails and the store says it did not commit, every batch of the group is committed again
/// alone, in order: a batch that the store refuses (a budget, a constraint) then fails on its own and its neighbours
/// commit. When the store cannot say (the connection was lost after sending), every batch of the group is answered
/// UNAVAILABLE with that outcome, and the next write settles them all from the store's last sequence
/// (<see cref="UncertainCommit"/>). A batch that decides from the items in memory (a delete) leads a group, so that it
/// sees every earlier batch applied; while a migration keeps both spaces each batch commits alone (its write rule and
/// marks depend on the items as the batch before it left them).
/// </remarks>
internal sealed class GroupCommitter
{
    private readonly ConditionalWeakTable<CollectionState, CommitQueue> _queues = new();
    private readonly GroupCommitOptions _options;
    private readonly Func<CollectionState, Task> _beforeDeciding;
    private readonly Func<CollectionState, IReadOnlyList<DecidedWrite>, Task<IReadOnlyList<long>>> _commit;

    /// <param name="options">Group size limits.</param>
    /// <param name="beforeDeciding">Run once per group under the gate before any batch is decided (settling an uncertain commit, a cluster node's catch-up).</param>
    /// <param name="commit">Commits decided batches in one transaction and applies them; throws <see cref="GroupNotCommittedException"/> when a group of several did not commit.</param>
    public GroupCommitter(
        GroupCommitOptions options,
        Func<CollectionState, Task> beforeDeciding,
        Func<CollectionState, IReadOnlyList<DecidedWrite>, Task<IReadOnlyList<long>>> commit)
    {
        _options = options;
        _beforeDeciding = beforeDeciding;
        _commit = commit;
    }

    /// <summary>
    /// Queues a write and returns its result once it is committed and applied (or its failure). The caller's
    /// cancellation counts only while the write waits in the queue: once taken into a group, it runs to its end.
    /// </summary>
    /// <param name="state">The collection.</param>
    /// <param name="decide">Decides the batch under the gate; null when there is nothing to write (the result then says 0 items at the applied sequence).</param>
    /// <param name="decidesOnAppliedState">Whether the decision reads the items in memory (deletes): such a write leads its group.</param>
    /// <param name="items">The batch's size, for the group's item limit.</param>
    /// <param name="turn">The batch's place in its stream, or null: released once the write is in the queue.</param>
    /// <param name="cancellationToken">The caller's cancellation, honoured until the write is taken.</param>
    public async Task<WriteResult> SubmitAsync(
        CollectionState state,
        Func<CollectionState, Task<DecidedWrite?>> decide,
        bool decidesOnAppliedState,
        int items,
        WriteChain.Turn? turn,
        CancellationToken cancellationToken)
    {
        var write = new PendingWrite(decide, decidesOnAppliedState, items, turn?.Chain);
        var queue = _queues.GetValue(state, _ => new CommitQueue());
        bool lead;
        using (cancellationToken.Register(static w => ((PendingWrite)w!).Cancel(), write))
        {
            lock (queue.Sync)
            {
                queue.Waiting.Enqueue(write);
                lead = !queue.Draining;
                queue.Draining = true;
            }

            turn?.Dispose();
            if (lead)
            {
                // The caller gets its thread back first: a stream reading its next batch while this one commits (a
                // store whose async calls run synchronously, SQLite, would otherwise hold it for the whole commit).
                await Task.Yield();
                await DrainAsync(state, queue, write);
            }

            return await write.Completion.Task;
        }
    }

    /// <summary>
    /// Commits groups until the queue is empty. A leader that is a writer itself hands the rest to the thread pool once
    /// its own write is answered, so that no caller waits for other callers' commits.
    /// </summary>
    private async Task DrainAsync(CollectionState state, CommitQueue queue, PendingWrite? own)
    {
        while (true)
        {
            try
            {
                await state.WriteGate.WaitAsync(CancellationToken.None);
                try
                {
                    await CommitNextGroupAsync(state, queue);
                }
                finally
                {
                    state.WriteGate.Release();
                }
            }
            catch (Exception e)
            {
                // Not a batch's failure (those are answered to their writers): the queue cannot be served, say so to all.
                lock (queue.Sync)
                {
                    while (queue.Waiting.TryDequeue(out var waiting))
                    {
                        if (waiting.TryTake())
                        {
                            waiting.Fail(e);
                        }
                    }

                    queue.Draining = false;
                }

                return;
            }

            lock (queue.Sync)
            {
                if (queue.Waiting.Count == 0)
                {
                    queue.Draining = false;
                    return;
                }

                if (own is not null && own.Completion.Task.IsCompleted)
                {
                    _ = Task.Run(() => DrainAsync(state, queue, null));
                    return;
                }
            }
        }
    }

    /// <summary>Takes, decides, commits and answers one group. Every failure is answered to the writes it concerns.</summary>
    private async Task CommitNextGroupAsync(CollectionState state, CommitQueue queue)
    {
        var group = Take(state, queue);
        if (group.Count == 0)
        {
            return;
        }

        try
        {
            await _beforeDeciding(state);
        }
        catch (Exception e)
        {
            foreach (var write in group)
            {
                write.Fail(e);
            }

            return;
        }

        var decided = new List<(PendingWrite Write, DecidedWrite Batch)>(group.Count);
        foreach (var write in group)
        {
            if (write.Chain is { IsBroken: true })
            {
                write.Fail(EarlierBatchFailed());
                continue;
            }

            try
            {
                if (await write.Decide(state) is { } batch)
                {
                    decided.Add((write, batch));
                }
                else
                {
                    write.Succeed(new WriteResult(0, state.AppliedSequence));
                }
            }
            catch (Exception e)
            {
                write.Fail(e);
            }
        }

        if (decided.Count == 0)
        {
            return;
        }

        try
        {
            var sequences = await _commit(state, [.. decided.Select(d => d.Batch)]);
            for (var i = 0; i < decided.Count; i++)
            {
                decided[i].Write.Succeed(new WriteResult(decided[i].Batch.Count, sequences[i]));
            }
        }
        catch (GroupNotCommittedException)
        {
            // Nothing of the group was written: each batch on its own, so that only a batch the store refuses fails.
            foreach (var (write, batch) in decided)
            {
                if (write.Chain is { IsBroken: true })
                {
                    write.Fail(EarlierBatchFailed());
                    continue;
                }

                try
                {
                    write.Succeed(new WriteResult(batch.Count, (await _commit(state, [batch]))[0]));
                }
                catch (Exception e)
                {
                    write.Fail(e);
                }
            }
        }
        catch (Exception e)
        {
            foreach (var (write, _) in decided)
            {
                write.Fail(e);
            }
        }
    }

    /// <summary>The next group: waiting writes in arrival order, within the limits; cancelled ones are dropped.</summary>
    private List<PendingWrite> Take(CollectionState state, CommitQueue queue)
    {
        var maxBatches = state.Migration is { } migration && MigrationPhaseRules.KeepsBothSpaces(migration.Phase) ? 1 : _options.MaxBatches;
        var group = new List<PendingWrite>();
        var items = 0L;
        lock (queue.Sync)
        {
            while (group.Count < maxBatches && items < _options.MaxItems && queue.Waiting.TryPeek(out var next))
            {
                if (next.DecidesOnAppliedState && group.Count > 0)
                {
                    break;
                }

                queue.Waiting.Dequeue();
                if (next.TryTake())
                {
                    group.Add(next);
                    items += next.Items;
                }
            }
        }

        return group;
    }

    private static RetrievalException EarlierBatchFailed() =>
        RetrievalException.Aborted("an earlier batch of this stream failed, so this one was not written");

    /// <summary>One collection's waiting writes and whether a leader is draining them.</summary>
    private sealed class CommitQueue
    {
        public readonly Lock Sync = new();
        public readonly Queue<PendingWrite> Waiting = new();
        public bool Draining;
    }

    /// <summary>A write in the queue: waiting, then taken (runs to its end) or cancelled (never written).</summary>
    private sealed class PendingWrite(
        Func<CollectionState, Task<DecidedWrite?>> decide, bool decidesOnAppliedState, int items, WriteChain? chain)
    {
        private const int Waiting = 0;
        private const int Taken = 1;
        private const int Cancelled = 2;
        private int _state;

        public Func<CollectionState, Task<DecidedWrite?>> Decide { get; } = decide;

        public bool DecidesOnAppliedState { get; } = decidesOnAppliedState;

        public int Items { get; } = items;

        public WriteChain? Chain { get; } = chain;

        public TaskCompletionSource<WriteResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Waiting) == Waiting;

        public void Cancel()
        {
            if (Interlocked.CompareExchange(ref _state, Cancelled, Waiting) == Waiting)
            {
                Chain?.Break();
                Completion.TrySetCanceled();
            }
        }

        public void Succeed(WriteResult result) => Completion.TrySetResult(result);

        public void Fail(Exception e)
        {
            Chain?.Break();
            Completion.TrySetException(e);
        }
    }
}

/// <summary>A group of several batches whose shared transaction did not commit (nothing of it was written).</summary>
internal sealed class GroupNotCommittedException(Exception inner)
    : Exception("the group's shared transaction did not commit: " + inner.Message, inner);
