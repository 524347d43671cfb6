using Retrieval.Core.Model;
using Retrieval.Core.Search;

namespace Retrieval.Engine.State;

/// <summary>
/// The exact index of one space: contiguous rows plus the row ↔ item-slot mapping. Rows are compacted on
/// removal (the last row moves into the hole) so scans never touch dead rows. Guarded by the collection lock.
/// </summary>
internal sealed class SpaceIndex
{
    private readonly List<int> _rowToSlot = [];
    private readonly Dictionary<int, int> _slotToRow = [];

    public SpaceIndex(SpaceDefinition definition, int initialCapacity = 1024)
    {
        Definition = definition;
        Storage = new FlatVectorStorage(definition.Dimension, initialCapacity);
        ScoreKind = definition.Metric == Metric.L2 ? ScoreKind.NegativeSquaredL2 : ScoreKind.InnerProduct;
    }

    public SpaceDefinition Definition { get; }

    public FlatVectorStorage Storage { get; }

    public ScoreKind ScoreKind { get; }

    public int Count => Storage.Count;

    public int SlotOfRow(int row) => _rowToSlot[row];

    public bool TryGetRow(int slot, out int row) => _slotToRow.TryGetValue(slot, out row);

    public float[]? GetVector(int slot) => _slotToRow.TryGetValue(slot, out var row) ? Storage.Row(row).ToArray() : null;

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

    /// <summary>Removes the vector of an item slot, if it has one.</summary>
    public void Remove(int slot)
    {
        if (!_slotToRow.Remove(slot, out var row))
        {
            return;
        }

        var movedFrom = Storage.RemoveBySwappingLast(row);
        if (movedFrom != row)
        {
            var movedSlot = _rowToSlot[movedFrom];
            _rowToSlot[row] = movedSlot;
            _slotToRow[movedSlot] = row;
        }

        _rowToSlot.RemoveAt(_rowToSlot.Count - 1);
    }
}
