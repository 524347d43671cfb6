using Retrieval.Core.Search;

namespace Retrieval.Engine.Segments;

/// <summary>
/// The segment of a space that takes writes: contiguous rows searched exactly, plus the row ↔ item-slot mapping.
/// Rows are compacted on removal (the last row moves into the hole) so scans never touch dead rows.
/// Guarded by the collection lock.
/// </summary>
internal sealed class AppendableSegment(int dimension)
{
    private readonly List<int> _rowToSlot = [];
    private readonly Dictionary<int, int> _slotToRow = [];

    // At most 1 MiB up front: FDE segments of multi-vector spaces have 2,560–10,240 dimensions, and 1024 rows of
    // those would reserve 10–40 MiB for every empty space.
    public FlatVectorStorage Storage { get; } = new(dimension, Math.Clamp((1 << 18) / dimension, 1, 1024));

    public int Count => Storage.Count;

    public int SlotOfRow(int row) => _rowToSlot[row];

    public bool TryGetRow(int slot, out int row) => _slotToRow.TryGetValue(slot, out row);

    /// <summary>Sets (adds or replaces) the vector of an item slot.</summary>
    public void Set(int slot, ReadOnlySpan<float> vector)
    {
        if (_slotToRow.TryGetValue(slot, out var row))
        {
            Storage.Set(row, vector);
            return;
        }

        row = Storage.Add(vector);
        _rowToSlot.Add(slot);
        _slotToRow.Add(slot, row);
    }

    /// <summary>Removes the vector of an item slot; false when it has none here.</summary>
    public bool Remove(int slot)
    {
        if (!_slotToRow.Remove(slot, out var row))
        {
            return false;
        }

        var movedFrom = Storage.RemoveBySwappingLast(row);
        if (movedFrom != row)
        {
            var movedSlot = _rowToSlot[movedFrom];
            _rowToSlot[row] = movedSlot;
            _slotToRow[movedSlot] = row;
        }

        _rowToSlot.RemoveAt(_rowToSlot.Count - 1);
        return true;
    }

    /// <summary>The row → slot map as an array (for sealing: the storage and this array become a sealed segment).</summary>
    public int[] RowToSlotArray() => [.. _rowToSlot];
}
