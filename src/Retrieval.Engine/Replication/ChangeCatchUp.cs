using Retrieval.Core.Storage;
using Retrieval.Engine.Segments;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Replication;

/// <summary>
/// Applies to a collection in memory what other nodes committed to the shared store, in sequence order: from the
/// store's change feed after the collection's applied sequence, in chunks that each end at a batch boundary (readers see
/// a batch whole or not at all). Also the two steps the write path takes on a node of a cluster: the guard a batch
/// commits under, and the catch-up before a local batch is applied. On a single node (no change feed) every step is a no-op.
/// </summary>
internal sealed class ChangeCatchUp
{
    private readonly IItemStore _store;
    private readonly SegmentOptimizer _optimizer;
    private readonly int _chunk;

    public ChangeCatchUp(IItemStore store, SegmentOptimizer optimizer, bool enabled, int chunk)
    {
        _store = store;
        _optimizer = optimizer;
        Enabled = enabled;
        _chunk = chunk;
    }

    /// <summary>True on a node of a cluster: the store is written by other nodes too.</summary>
    public bool Enabled { get; }

    /// <summary>Called with the name of a collection whose open migration must be read again (its counters and derived
    /// items moved with other nodes' batches), when that cannot happen at once.</summary>
    public Action<string>? MigrationStale { get; set; }

    /// <summary>
    /// The batch with the guard of what it was validated against (definition version, open migration), so that the
    /// store refuses it when another node changed either meanwhile. Caller holds the write gate.
    /// </summary>
    public WriteBatch Guard(CollectionState state, WriteBatch batch) =>
        !Enabled ? batch : batch with
        {
            Guard = new WriteGuard(state.Definition.Version, state.Migration?.Row.Id, state.Migration?.Row.Phase),
        };

    /// <summary>
    /// Before a write decides anything from the items in memory (which ids a delete finds, what a migration's write rule
    /// needs, how an upsert merges): what other nodes committed so far is applied first, so that a delete through this
    /// node finds an item just written through another. One read of the store's change feed (usually empty). Caller
    /// holds the write gate.
    /// </summary>
    public async Task BeforeDecidingAsync(CollectionState state)
    {
        if (Enabled && await ApplyAsync(state, long.MaxValue, CancellationToken.None) > 0 && state.Migration is not null)
        {
            MigrationStale?.Invoke(state.Definition.Name);
        }
    }

    /// <summary>
    /// Before a local batch committed at <paramref name="sequence"/> is applied: when other nodes committed batches since
    /// this node's applied sequence, those are applied first, so apply order equals sequence order. Caller holds the
    /// write gate. An item a later batch (another node's, after <paramref name="sequence"/>) changed again is left for
    /// the next catch-up, which brings its newest state.
    /// </summary>
    public async Task BeforeApplyAsync(CollectionState state, long sequence)
    {
        if (!Enabled || sequence <= state.AppliedSequence + 1)
        {
            return;
        }

        if (await ApplyAsync(state, sequence, CancellationToken.None) > 0 && state.Migration is not null)
        {
            // The migration's counters in the store already hold this batch's marks, applied in memory right after:
            // read again later, under the gate, not here.
            MigrationStale?.Invoke(state.Definition.Name);
        }
    }

    /// <summary>
    /// Applies every change after the collection's applied sequence and before <paramref name="before"/>, in sequence
    /// order, returning how many. Caller holds the write gate.
    /// </summary>
    public async Task<int> ApplyAsync(CollectionState state, long before, CancellationToken cancellationToken)
    {
        var pending = new List<ItemChange>();
        var applied = 0;
        await foreach (var change in _store.ReadChangesAsync(state.Definition.Name, state.AppliedSequence, cancellationToken))
        {
            if (change.Sequence >= before)
            {
                break;
            }

            if (pending.Count >= _chunk && change.Sequence != pending[^1].Sequence)
            {
                applied += Flush(state, pending);
            }

            pending.Add(change);
        }

        applied += Flush(state, pending);
        if (applied > 0)
        {
            _optimizer.Wake();
        }

        return applied;
    }

    private static int Flush(CollectionState state, List<ItemChange> pending)
    {
        if (pending.Count == 0 || state.IsDeleted)
        {
            return 0;
        }

        state.Write(s =>
        {
            foreach (var change in pending)
            {
                s.Apply(change);
            }
        });
        var count = pending.Count;
        pending.Clear();
        return count;
    }
}
