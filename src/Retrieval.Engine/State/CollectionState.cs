using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Filtering;
using Retrieval.Engine.Maps;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.MultiVector;

namespace Retrieval.Engine.State;

/// <summary>
/// One collection in memory: its definition, its <see cref="Shard"/>s, its maps and its open migration.
/// Concurrency, in one place: <see cref="WriteGate"/> serializes writers end to end (store commit, then apply) so that
/// apply order equals sequence order; the reader/writer lock, taken only through <see cref="Read{T}"/> and
/// <see cref="Write"/>, separates the short in-memory apply (every shard a batch touches, at once) from readers.
/// </summary>
internal sealed class CollectionState : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Shard[] _shards;

    public CollectionState(CollectionDefinition definition, PayloadIndexOptions? payloadIndexes = null)
        : this(definition, Enumerable.Range(0, Math.Max(1, definition.Shards)).Select(i => new Shard(i, definition, payloadIndexes)).ToArray())
    {
    }

    /// <summary>A collection over shards built elsewhere (loaded from snapshots), numbered 0 to n − 1 in order.</summary>
    public CollectionState(CollectionDefinition definition, Shard[] shards)
    {
        Definition = definition;
        _shards = shards;
    }

    public CollectionDefinition Definition { get; private set; }

    public SemaphoreSlim WriteGate { get; } = new(1, 1);

    public IReadOnlyList<Shard> Shards => _shards;

    /// <summary>The collection's compatibility maps and the routes through the active ones (own lock).</summary>
    public MapRegistry Maps { get; } = new();

    /// <summary>The collection's open model-upgrade migration, or null; replaced as a whole on every phase change.</summary>
    public MigrationRuntime? Migration { get; set; }

    /// <summary>Set once the collection is deleted; writers that raced the delete see it and give up.</summary>
    public bool IsDeleted { get; set; }

    /// <summary>
    /// A batch that may or may not have committed (the store lost its connection while committing it), until the write
    /// pipeline settles it against the store. Read and written under <see cref="WriteGate"/>.
    /// </summary>
    public Writes.UncertainCommit? UncertainCommit { get; set; }

    /// <summary>Sequence of the last batch applied to the collection (to any shard).</summary>
    public long AppliedSequence { get; private set; }

    /// <summary>Live items in every shard. Caller holds a lock.</summary>
    public long ItemCount => _shards.Sum(s => (long)s.Items.Count);

    /// <summary>Runs <paramref name="read"/> under the read lock.</summary>
    public T Read<T>(Func<CollectionState, T> read)
    {
        _lock.EnterReadLock();
        try
        {
            return read(this);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Runs <paramref name="read"/> on <paramref name="argument"/> under the read lock: with a static lambda, no closure is
    /// allocated (the search path calls this once per call).
    /// </summary>
    public T Read<TArgument, T>(TArgument argument, Func<CollectionState, TArgument, T> read)
    {
        _lock.EnterReadLock();
        try
        {
            return read(this, argument);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Runs <paramref name="write"/> under the write lock.</summary>
    public T Write<T>(Func<CollectionState, T> write)
    {
        _lock.EnterWriteLock();
        try
        {
            return write(this);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Runs <paramref name="write"/> under the write lock.</summary>
    public void Write(Action<CollectionState> write) =>
        Write(s =>
        {
            write(s);
            return true;
        });

    /// <summary>The shard that holds (or would hold) the item.</summary>
    public Shard ShardOf(string id) => _shards[ShardAssignment.ShardOf(id, _shards.Length)];

    /// <summary>The shard and slot of a live item. Caller holds a lock.</summary>
    public bool TryFind(string id, out Shard shard, out int slot)
    {
        shard = ShardOf(id);
        return shard.Items.TryGetSlot(id, out slot);
    }

    /// <summary>True when the item exists. Caller holds a lock.</summary>
    public bool Contains(string id) => TryFind(id, out _, out _);

    /// <summary>Vectors held in a space, over every shard. Caller holds a lock.</summary>
    public long CountIn(string space) => _shards.Sum(s => (long)s.CountIn(space));

    /// <summary>
    /// Live ids in ordinal order over every shard (a merge of the shards' ordered ids), strictly after
    /// <paramref name="afterId"/> when given. Caller holds a lock for the whole enumeration.
    /// </summary>
    public IEnumerable<(string Id, Shard Shard, int Slot)> ItemsInIdOrder(string? afterId)
    {
        if (_shards.Length == 1)
        {
            var only = _shards[0];
            foreach (var id in only.Items.IdsAfter(afterId))
            {
                only.Items.TryGetSlot(id, out var slot);
                yield return (id, only, slot);
            }

            yield break;
        }

        var heads = new PriorityQueue<(IEnumerator<string> Ids, Shard Shard), string>(StringComparer.Ordinal);
        foreach (var shard in _shards)
        {
            var ids = shard.Items.IdsAfter(afterId).GetEnumerator();
            if (ids.MoveNext())
            {
                heads.Enqueue((ids, shard), ids.Current);
            }
        }

        while (heads.TryDequeue(out var head, out var id))
        {
            head.Shard.Items.TryGetSlot(id, out var slot);
            yield return (id, head.Shard, slot);
            if (head.Ids.MoveNext())
            {
                heads.Enqueue(head, head.Ids.Current);
            }
        }
    }

    /// <summary>The items whose payload matches the filter, shard by shard. Caller holds a lock.</summary>
    public IEnumerable<(Shard Shard, int Slot)> Matching(PayloadFilter filter) =>
        _shards.SelectMany(shard => shard.MatchingSlots(filter).Slots().Select(slot => (shard, slot)));

    /// <summary>
    /// Applies a committed batch: each upsert and delete goes to its item's shard. Caller holds the write lock, so
    /// readers see the batch on every shard or on none.
    /// </summary>
    public void Apply(WriteBatch batch, long sequence, IReadOnlyDictionary<(string Id, string Space), PreparedMultiVector>? prepared = null)
    {
        foreach (var write in batch.Upserts)
        {
            ShardOf(write.Id).Upsert(write, sequence, prepared);
        }

        foreach (var id in batch.Deletes)
        {
            ShardOf(id).Delete(id, sequence);
        }

        AppliedSequence = Math.Max(AppliedSequence, sequence);
    }

    /// <summary>Applies one change-feed entry to its item's shard. Caller holds the write lock or owns the state alone.</summary>
    public void Apply(ItemChange change)
    {
        ShardOf(change.Id).Apply(change);
        AppliedSequence = Math.Max(AppliedSequence, change.Sequence);
    }

    /// <summary>Sets the applied sequence after a start-up load (snapshots and replay). Caller owns the state alone.</summary>
    public void RestoreSequence(long sequence) => AppliedSequence = Math.Max(AppliedSequence, sequence);

    /// <summary>Replaces the definition on every shard. Caller holds the write lock.</summary>
    public void Redefine(CollectionDefinition definition)
    {
        foreach (var shard in _shards)
        {
            shard.Redefine(definition);
        }

        Definition = definition;
    }

    /// <summary>Applies the engine's payload-index settings to shards built elsewhere (snapshots). Caller owns the state alone.</summary>
    public void UsePayloadIndexOptions(PayloadIndexOptions options)
    {
        foreach (var shard in _shards)
        {
            shard.UsePayloadIndexOptions(options);
        }
    }

    public void Dispose()
    {
        foreach (var shard in _shards)
        {
            shard.Dispose();
        }

        WriteGate.Dispose();
        _lock.Dispose();
        Maps.Dispose();
    }
}
