namespace Retrieval.Engine.State;

/// <summary>
/// The items of a collection by slot number. Slots are reused after deletes; spaces refer to items by slot.
/// Ids are also kept in ordinal order for stable scrolling. Not thread-safe: guarded by the collection lock.
/// </summary>
internal sealed class ItemTable
{
    private readonly List<ItemSlot?> _slots = [];
    private readonly Stack<int> _freeSlots = new();
    private readonly Dictionary<string, int> _idToSlot = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _orderedIds = new(StringComparer.Ordinal);

    public int Count => _idToSlot.Count;

    /// <summary>One past the highest slot number in use or free.</summary>
    public int SlotCapacity => _slots.Count;

    public bool TryGetSlot(string id, out int slot) => _idToSlot.TryGetValue(id, out slot);

    public ItemSlot? this[int slot] => _slots[slot];

    /// <summary>
    /// Creates or updates an item. A null payload keeps an existing item's payload and gives a new item <c>{}</c>.
    /// Returns the item's slot.
    /// </summary>
    public int Upsert(string id, string? payloadJson)
    {
        if (_idToSlot.TryGetValue(id, out var slot))
        {
            if (payloadJson is not null)
            {
                _slots[slot]!.SetPayload(payloadJson);
            }

            return slot;
        }

        var item = new ItemSlot(id, payloadJson ?? "{}");
        if (_freeSlots.TryPop(out slot))
        {
            _slots[slot] = item;
        }
        else
        {
            slot = _slots.Count;
            _slots.Add(item);
        }

        _idToSlot.Add(id, slot);
        _orderedIds.Add(id);
        return slot;
    }

    /// <summary>Removes an item; returns its former slot, or −1 when the id is unknown.</summary>
    public int Remove(string id)
    {
        if (!_idToSlot.Remove(id, out var slot))
        {
            return -1;
        }

        _orderedIds.Remove(id);
        _slots[slot] = null;
        _freeSlots.Push(slot);
        return slot;
    }

    /// <summary>Ids in ordinal order, strictly after <paramref name="afterId"/> when given.</summary>
    public IEnumerable<string> IdsAfter(string? afterId)
    {
        if (afterId is null || _orderedIds.Count == 0)
        {
            return _orderedIds;
        }

        var max = _orderedIds.Max!;
        if (StringComparer.Ordinal.Compare(afterId, max) >= 0)
        {
            return [];
        }

        // GetViewBetween is inclusive at both ends; skip the cursor id itself.
        return _orderedIds.GetViewBetween(afterId, max).Where(id => !string.Equals(id, afterId, StringComparison.Ordinal));
    }
}
