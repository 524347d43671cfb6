using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.Core.Storage;
using Retrieval.Engine.Filtering;
using Retrieval.Engine.MultiVector;

namespace Retrieval.Engine.State;

/// <summary>
/// One shard of a collection in memory: the items whose id hashes to it (<see cref="Core.Model.ShardAssignment"/>), their payloads and
/// payload indexes, one <see cref="SpaceIndex"/> per dense space and one <see cref="MultiVectorIndex"/> per multi-vector
/// space, each with its own appendable and sealed segments. Slots are local to the shard. A shard has no lock of its
/// own: it is guarded by its collection's lock (<see cref="CollectionState"/>), so a batch spanning shards is applied
/// atomically for readers.
/// </summary>
internal sealed class Shard : IDisposable
{
    private readonly Dictionary<string, SpaceIndex> _spaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MultiVectorIndex> _multi = new(StringComparer.Ordinal);

    // The sequence the shard's snapshot covered when it was loaded: replayed changes up to it are already in the shard.
    private long _loadedSequence;

    public Shard(int number, CollectionDefinition definition, PayloadIndexOptions? payloadIndexes = null)
    {
        Number = number;
        Definition = definition;
        PayloadIndexes = new PayloadIndexSet(payloadIndexes ?? new PayloadIndexOptions());
        foreach (var space in definition.Spaces)
        {
            AddIndex(space);
        }
    }

    /// <summary>The shard's number in its collection, 0 to shards − 1.</summary>
    public int Number { get; }

    public CollectionDefinition Definition { get; private set; }

    public ItemTable Items { get; } = new();

    /// <summary>Indexes of the payload fields filters use, kept current by every apply.</summary>
    public PayloadIndexSet PayloadIndexes { get; private set; }

    /// <summary>
    /// Applies the engine's payload-index settings to a state built elsewhere (a snapshot). Its indexes are
    /// dropped; they are built again from memory on first use. Caller holds the write lock or owns the state alone.
    /// </summary>
    public void UsePayloadIndexOptions(PayloadIndexOptions options) => PayloadIndexes = new PayloadIndexSet(options);

    /// <summary>
    /// Sequence of the last batch that changed this shard (a batch touching only other shards leaves it): what the
    /// shard's snapshot covers, and where its replay at start-up resumes.
    /// </summary>
    public long AppliedSequence { get; private set; }

    public SpaceIndex GetSpace(string name) => _spaces[name];

    /// <summary>Vectors (or multi-vectors) the shard holds in a space; 0 for an unknown space. Caller holds a lock.</summary>
    public int CountIn(string space) =>
        _spaces.TryGetValue(space, out var dense) ? dense.Count : _multi.TryGetValue(space, out var multi) ? multi.Count : 0;

    /// <summary>The index of a multi-vector space. Readers hold a read lock; writers holding the write gate may read it without.</summary>
    public MultiVectorIndex GetMultiVectorSpace(string name) => _multi[name];

    /// <summary>The multi-vector indexes by space name. Caller holds a lock (or the write gate).</summary>
    public IReadOnlyDictionary<string, MultiVectorIndex> MultiVectorSpaces => _multi;

    /// <summary>The sequence the shard's newest snapshot covers (written or loaded); −1 when it has none.</summary>
    public long SnapshotSequence { get; set; } = -1;

    /// <summary>
    /// Every segmented vector index the optimizer looks after, by space name: each dense space's index and each
    /// multi-vector space's FDE index. Caller holds a lock.
    /// </summary>
    public IEnumerable<KeyValuePair<string, SpaceIndex>> IndexedSpaces =>
        _spaces.Concat(_multi.Select(m => new KeyValuePair<string, SpaceIndex>(m.Key, m.Value.Fdes)));

    /// <summary>Sets the applied sequence of a state loaded from a snapshot.</summary>
    public void RestoreSequence(long sequence)
    {
        AppliedSequence = sequence;
        SnapshotSequence = sequence;
        _loadedSequence = sequence;
    }

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
    /// Applies one committed upsert of this shard with merge semantics. The multi-vectors come <paramref name="prepared"/>
    /// (pruned and encoded outside the lock) when the caller has them, keyed by (item id, space). Caller holds the
    /// collection's write lock.
    /// </summary>
    public void Upsert(ItemWrite write, long sequence, IReadOnlyDictionary<(string Id, string Space), PreparedMultiVector>? prepared)
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

        AppliedSequence = Math.Max(AppliedSequence, sequence);
    }

    /// <summary>Applies one committed delete of this shard (an unknown id is a no-op). Caller holds the write lock.</summary>
    public void Delete(string id, long sequence)
    {
        RemoveItem(id);
        AppliedSequence = Math.Max(AppliedSequence, sequence);
    }

    /// <summary>
    /// Applies one change-feed entry (full item state, or a delete) unless the shard already covers its sequence (it
    /// was loaded from a snapshot taken later). Caller holds the write lock or owns the shard alone.
    /// </summary>
    public void Apply(ItemChange change)
    {
        if (change.Sequence <= _loadedSequence)
        {
            return;
        }

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
