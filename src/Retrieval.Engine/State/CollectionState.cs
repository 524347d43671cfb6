using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.Core.Storage;
using Retrieval.Engine.Filtering;
using Retrieval.Engine.Maps;
using Retrieval.Engine.MultiVector;

namespace Retrieval.Engine.State;

/// <summary>
/// The in-memory mirror of one collection: items, payloads, one <see cref="SpaceIndex"/> per dense space and one
/// <see cref="MultiVectorIndex"/> per multi-vector space.
/// Concurrency: <see cref="WriteGate"/> serializes writers end to end (store commit, then apply) so that
/// apply order equals sequence order; <see cref="Lock"/> separates the short in-memory apply from readers.
/// </summary>
internal sealed class CollectionState : IDisposable
{
    private readonly Dictionary<string, SpaceIndex> _spaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MultiVectorIndex> _multi = new(StringComparer.Ordinal);

    public CollectionState(CollectionDefinition definition, PayloadIndexOptions? payloadIndexes = null)
    {
        Definition = definition;
        PayloadIndexes = new PayloadIndexSet(payloadIndexes ?? new PayloadIndexOptions());
        foreach (var space in definition.Spaces)
        {
            AddIndex(space);
        }
    }

    public CollectionDefinition Definition { get; private set; }

    public SemaphoreSlim WriteGate { get; } = new(1, 1);

    public ReaderWriterLockSlim Lock { get; } = new(LockRecursionPolicy.NoRecursion);

    public ItemTable Items { get; } = new();

    /// <summary>Indexes of the payload fields filters use, kept current by every apply.</summary>
    public PayloadIndexSet PayloadIndexes { get; private set; }

    /// <summary>
    /// Applies the engine's payload-index settings to a state built elsewhere (a snapshot). Its indexes are
    /// dropped; they are built again from memory on first use. Caller holds the write lock or owns the state alone.
    /// </summary>
    public void UsePayloadIndexOptions(PayloadIndexOptions options) => PayloadIndexes = new PayloadIndexSet(options);

    /// <summary>The collection's compatibility maps and the routes through the active ones (own lock).</summary>
    public MapRegistry Maps { get; } = new();

    /// <summary>The collection's open model-upgrade migration, or null; replaced as a whole on every phase change.</summary>
    public Migrations.MigrationRuntime? Migration { get; set; }

    /// <summary>Set once the collection is deleted; writers that raced the delete see it and give up.</summary>
    public bool IsDeleted { get; set; }

    /// <summary>Sequence of the last batch applied.</summary>
    public long AppliedSequence { get; private set; }

    public SpaceIndex GetSpace(string name) => _spaces[name];

    /// <summary>The index of a multi-vector space. Readers hold a read lock; writers holding the write gate may read it without.</summary>
    public MultiVectorIndex GetMultiVectorSpace(string name) => _multi[name];

    /// <summary>The multi-vector indexes by space name. Caller holds a lock (or the write gate).</summary>
    public IReadOnlyDictionary<string, MultiVectorIndex> MultiVectorSpaces => _multi;

    /// <summary>
    /// Every segmented vector index the optimizer looks after, by space name: each dense space's index and each
    /// multi-vector space's FDE index. Caller holds a lock.
    /// </summary>
    public IEnumerable<KeyValuePair<string, SpaceIndex>> IndexedSpaces =>
        _spaces.Concat(_multi.Select(m => new KeyValuePair<string, SpaceIndex>(m.Key, m.Value.Fdes)));

    /// <summary>Sets the applied sequence of a state loaded from a snapshot.</summary>
    public void RestoreSequence(long sequence) => AppliedSequence = sequence;

    /// <summary>Replaces the definition; adds indexes for new spaces and drops those of removed ones. Caller holds the write lock.</summary>
    public void Redefine(CollectionDefinition definition)
    {
        foreach (var space in definition.Spaces)
        {
            if (space.IsMulti)
            {
                // A multi-vector space's settings never change after creation (they pin its encoder); its index spec may.
                if (!_multi.TryGetValue(space.Name, out var existingMulti))
                {
                    AddIndex(space);
                }
                else if (existingMulti.Definition != space)
                {
                    existingMulti.Redefine(space);
                }
            }
            else if (!_spaces.TryGetValue(space.Name, out var existing))
            {
                _spaces.Add(space.Name, new SpaceIndex(space));
            }
            else if (existing.Definition != space)
            {
                existing.Redefine(space);
            }
        }

        foreach (var name in _spaces.Keys.Where(n => definition.FindSpace(n) is null).ToList())
        {
            _spaces.Remove(name, out var removed);
            removed!.Dispose();
        }

        foreach (var name in _multi.Keys.Where(n => definition.FindSpace(n) is null).ToList())
        {
            _multi.Remove(name, out var removed);
            removed!.Dispose();
        }

        Definition = definition;
    }

    /// <summary>
    /// Applies a committed batch with upsert-merge semantics. Multi-vectors come <paramref name="prepared"/> (pruned
    /// and encoded outside the lock) when the caller has them, keyed by (item id, space). Caller holds the write lock.
    /// </summary>
    public void Apply(WriteBatch batch, long sequence, IReadOnlyDictionary<(string Id, string Space), PreparedMultiVector>? prepared = null)
    {
        foreach (var write in batch.Upserts)
        {
            var slot = UpsertItem(write.Id, write.PayloadJson);
            foreach (var (space, vector) in write.Vectors)
            {
                if (_multi.TryGetValue(space, out var multi))
                {
                    multi.Set(slot, prepared is not null && prepared.TryGetValue((write.Id, space), out var ready) ? ready : multi.Prepare(vector));
                }
                else
                {
                    _spaces[space].Set(slot, vector);
                }
            }
        }

        foreach (var id in batch.Deletes)
        {
            RemoveItem(id);
        }

        AppliedSequence = Math.Max(AppliedSequence, sequence);
    }

    /// <summary>Applies one change-feed entry (full item state, or a delete). Caller holds the write lock.</summary>
    public void Apply(ItemChange change)
    {
        if (change.Item is not { } item)
        {
            RemoveItem(change.Id);
        }
        else
        {
            var slot = UpsertItem(item.Id, item.PayloadJson);
            foreach (var (name, space) in _spaces)
            {
                if (item.Vectors.TryGetValue(name, out var vector) && vector.Length == space.Definition.Dimension)
                {
                    space.Set(slot, vector);
                }
                else
                {
                    space.Remove(slot);
                }
            }

            foreach (var (name, multi) in _multi)
            {
                if (item.Vectors.TryGetValue(name, out var vector) && vector.Length > 0 && vector.Length % multi.Definition.Dimension == 0)
                {
                    multi.Set(slot, multi.Prepare(vector));
                }
                else
                {
                    multi.Remove(slot);
                }
            }
        }

        AppliedSequence = Math.Max(AppliedSequence, change.Sequence);
    }

    /// <summary>The vectors of an item slot by space. Caller holds a read lock.</summary>
    public Dictionary<string, float[]> VectorsOf(int slot)
    {
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, space) in _spaces)
        {
            if (space.GetVector(slot) is { } vector)
            {
                vectors.Add(name, vector);
            }
        }

        foreach (var (name, multi) in _multi)
        {
            if (multi.GetVector(slot) is { } rows)
            {
                vectors.Add(name, rows);
            }
        }

        return vectors;
    }

    /// <summary>The spaces by name (read under the lock).</summary>
    public IEnumerable<KeyValuePair<string, SpaceIndex>> Spaces => _spaces;

    /// <summary>
    /// Item slots whose payload matches the filter, as a bitset over slots (what the segments' searches take),
    /// evaluated through the payload indexes when they can answer. Caller holds a read lock.
    /// </summary>
    public RowFilter BuildSlotFilter(PayloadFilter filter)
    {
        var filterSlots = new RowFilter(Items.SlotCapacity);
        foreach (var slot in MatchingSlots(filter).Slots())
        {
            filterSlots.Set(slot);
        }

        return filterSlots;
    }

    /// <summary>
    /// The slots of the items whose payload matches the filter: from the payload indexes when they can answer,
    /// otherwise by evaluating every payload. Both give the same set. Caller holds a read lock.
    /// </summary>
    public SlotBits MatchingSlots(PayloadFilter filter) => PayloadIndexes.TryEvaluate(filter, Items) ?? ScanMatchingSlots(filter);

    /// <summary>The slots whose payload matches, by evaluating every payload (no index). Caller holds a read lock.</summary>
    public SlotBits ScanMatchingSlots(PayloadFilter filter)
    {
        var slots = new SlotBits(Items.SlotCapacity);
        for (var slot = 0; slot < Items.SlotCapacity; slot++)
        {
            if (Items[slot] is { } item && FilterEvaluator.Matches(filter, item.Payload))
            {
                slots.Set(slot);
            }
        }

        return slots;
    }

    public void Dispose()
    {
        foreach (var space in _spaces.Values)
        {
            space.Dispose();
        }

        foreach (var multi in _multi.Values)
        {
            multi.Dispose();
        }

        WriteGate.Dispose();
        Lock.Dispose();
        Maps.Dispose();
    }

    /// <summary>Upserts the item record and moves its payload index entries from the old payload to the new one.</summary>
    private int UpsertItem(string id, string? payloadJson)
    {
        var existed = Items.TryGetSlot(id, out var slot);
        if (existed && payloadJson is not null)
        {
            PayloadIndexes.OnRemoved(slot, Items[slot]!.Payload);
        }

        slot = Items.Upsert(id, payloadJson);
        if (!existed || payloadJson is not null)
        {
            PayloadIndexes.OnAdded(slot, Items[slot]!.Payload);
        }

        return slot;
    }

    private void RemoveItem(string id)
    {
        if (Items.TryGetSlot(id, out var existing))
        {
            PayloadIndexes.OnRemoved(existing, Items[existing]!.Payload);
        }

        var slot = Items.Remove(id);
        if (slot < 0)
        {
            return;
        }

        foreach (var space in _spaces.Values)
        {
            space.Remove(slot);
        }

        foreach (var multi in _multi.Values)
        {
            multi.Remove(slot);
        }
    }

    private void AddIndex(SpaceDefinition space)
    {
        if (space.IsMulti)
        {
            _multi.Add(space.Name, new MultiVectorIndex(space));
        }
        else
        {
            _spaces.Add(space.Name, new SpaceIndex(space));
        }
    }
}
