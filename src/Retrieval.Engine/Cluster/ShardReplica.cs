using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Search;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Cluster;

/// <summary>
/// One replica of one shard, held by whatever hosts it (an Orleans grain in cluster mode): the shard's items,
/// segments and payload indexes in a state of their own, with their own reader/writer lock, optimizer jobs (index
/// builds) and the sequence through which it has read the store. It is loaded from the shard's snapshot when one is
/// usable, then from the store's changes after it, filtered to its shard; later it catches up the same way whenever it
/// is asked for a sequence it has not read yet. So it applies in sequence order, and a lost notice costs only a read.
/// </summary>
public sealed class ShardReplica : IDisposable
{
    private readonly ShardReplicas _host;
    private readonly SemaphoreSlim _catchUp = new(1, 1);
    private long _readThrough;
    private int _disposed;

    internal ShardReplica(ShardReplicas host, CollectionState state, int shard, long readThrough)
    {
        _host = host;
        State = state;
        Shard = shard;
        _readThrough = readThrough;
    }

    /// <summary>The collection's own name.</summary>
    public string Collection => State.Definition.Name;

    /// <summary>The shard's number.</summary>
    public int Shard { get; }

    /// <summary>The store's sequence through which this replica has applied every change of its shard.</summary>
    public long AppliedSequence => Volatile.Read(ref _readThrough);

    /// <summary>Live items the replica holds.</summary>
    public long ItemCount => State.Read(static s => s.ItemCount);

    /// <summary>
    /// False once the collection is gone from this node's catalog (deleted, or deleted and created again): the host
    /// should release the replica, since no search will reach it again.
    /// </summary>
    public bool IsCurrent => _host.Exists(State.Definition);

    /// <summary>The one-shard state (the optimizer plans over it). Its only shard is this replica's.</summary>
    internal CollectionState State { get; }

    /// <summary>
    /// Applies the store's changes of this shard through at least <paramref name="sequence"/> (everything committed
    /// so far when it has to read). Concurrent calls share one read.
    /// </summary>
    public async Task CatchUpAsync(long sequence, CancellationToken cancellationToken)
    {
        if (AppliedSequence >= sequence)
        {
            return;
        }

        await _catchUp.WaitAsync(cancellationToken);
        try
        {
            if (AppliedSequence < sequence)
            {
                await ReadStoreAsync(cancellationToken);
            }
        }
        finally
        {
            _catchUp.Release();
        }
    }

    /// <summary>
    /// Answers a fan-out's request: follows the definition it was planned against, catches up through its sequence,
    /// then runs each query on the shard under the read lock.
    /// </summary>
    public async Task<ShardSearchResponse> SearchAsync(ShardSearchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Collection != Collection || request.Shard != Shard)
        {
            throw new ArgumentException($"request for {request.Collection}/{request.Shard} sent to replica of {Collection}/{Shard}", nameof(request));
        }

        await FollowDefinitionAsync(request.DefinitionVersion, cancellationToken);
        await CatchUpAsync(request.AtLeastSequence, cancellationToken);
        return State.Read((Replica: this, Request: request), static (s, call) => call.Replica.SearchLocked(s, call.Request));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _host.Closed(this);
        State.IsDeleted = true;
        State.Dispose();
        _catchUp.Dispose();
    }

    /// <summary>Reads the store's changes after what was read, keeps this shard's, applies them in batch-whole chunks.</summary>
    internal async Task ReadStoreAsync(CancellationToken cancellationToken)
    {
        var name = Collection;
        var shards = State.Definition.Shards;
        // Everything committed by now is in the read that follows: what the replica has read through, even when the
        // newest batches touched only other shards.
        var committed = await _host.Store.GetLastSequenceAsync(name, cancellationToken);
        var pending = new List<ItemChange>();
        var applied = 0L;
        var seen = AppliedSequence;
        await foreach (var change in _host.Store.ReadChangesAsync(name, AppliedSequence, cancellationToken))
        {
            seen = Math.Max(seen, change.Sequence);
            if (ShardAssignment.ShardOf(change.Id, shards) != Shard)
            {
                continue;
            }

            // Chunks end at batch boundaries: readers see a batch of this shard whole or not at all.
            if (pending.Count >= _host.ApplyChunk && pending[^1].Sequence != change.Sequence)
            {
                applied += Apply(pending);
            }

            pending.Add(change);
        }

        applied += Apply(pending);
        Volatile.Write(ref _readThrough, Math.Max(seen, committed));
        if (applied > 0)
        {
            _host.Applied();
        }
    }

    private long Apply(List<ItemChange> changes)
    {
        if (changes.Count == 0)
        {
            return 0;
        }

        State.Write(s =>
        {
            foreach (var change in changes)
            {
                s.Apply(change);
            }
        });
        var count = changes.Count;
        changes.Clear();
        return count;
    }

    private async Task FollowDefinitionAsync(long version, CancellationToken cancellationToken)
    {
        if (State.Definition.Version >= version)
        {
            return;
        }

        var definition = await _host.DefinitionAsync(Collection, version);
        if (definition.CreatedAt != State.Definition.CreatedAt || definition.Shards != State.Definition.Shards)
        {
            throw new ShardReplicaStaleException($"collection '{Collection}' was deleted and created again since replica {Shard} was loaded");
        }

        await _catchUp.WaitAsync(cancellationToken);
        try
        {
            if (State.Definition.Version < definition.Version)
            {
                State.Write(s => s.Redefine(definition));
                _host.Applied();
            }
        }
        finally
        {
            _catchUp.Release();
        }
    }

    private ShardSearchResponse SearchLocked(CollectionState state, ShardSearchRequest request)
    {
        var lists = new ShardSearchHit[request.Queries.Count][];
        for (var q = 0; q < lists.Length; q++)
        {
            var query = request.Queries[q];
            if (state.Definition.FindSpace(query.Space) is not { } space || space.IsMulti != query.Tokens is not null)
            {
                throw RetrievalException.Precondition($"space '{query.Space}' of replica {Collection}/{Shard} is not a {(query.Tokens is null ? "dense" : "multi-vector")} space");
            }

            var plan = new PlannedQuery(
                new SearchQuery(query.Space, query.Vector, query.Depth, query.Filter, query.WithPayload, query.WithVectors, EfSearch: query.EfSearch, NProbe: query.NProbe, Exact: query.Exact),
                query.Space,
                query.Vector,
                query.Depth,
                [])
            {
                Tokens = query.Tokens is { } tokens ? Core.MultiVector.TokenMatrix.FromRowMajor(tokens, query.TokenDimension) : null,
                Candidates = query.Candidates,
            };
            var hits = _host.FanOut.Run(state, [plan])[0];
            var list = lists[q] = new ShardSearchHit[hits.Count];
            for (var h = 0; h < hits.Count; h++)
            {
                var hit = hits[h];
                var item = hit.Shard.Items[hit.Slot]!;
                list[h] = new ShardSearchHit(
                    item.Id,
                    hit.Score,
                    hit.Mapped,
                    query.WithPayload ? item.PayloadJson : null,
                    query.WithVectors ? hit.Shard.VectorsOf(hit.Slot) : null);
            }
        }

        return new ShardSearchResponse(AppliedSequence, lists);
    }
}

/// <summary>The replica holds a collection that no longer exists under its name (deleted and created again): load it afresh.</summary>
public sealed class ShardReplicaStaleException(string message) : Exception(message);
