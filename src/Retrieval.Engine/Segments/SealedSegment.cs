using Retrieval.Core.Search;
using Retrieval.Engine.Indexes;

namespace Retrieval.Engine.Segments;

/// <summary>
/// An immutable set of rows, searched through its index once one is built (exactly until then). Rows whose item was
/// deleted or re-written since are tombstoned in <see cref="Live"/> until the next rebuild or merge.
/// The rows and <see cref="RowToSlot"/> never change, so a build reads them without the collection lock;
/// <see cref="Live"/> and <see cref="Index"/> change only under its write lock.
/// </summary>
internal sealed class SealedSegment : IDisposable
{
    public SealedSegment(long id, FlatVectorStorage storage, int[] rowToSlot, IVectorIndex? index)
    {
        Id = id;
        Storage = storage;
        RowToSlot = rowToSlot;
        Index = index;
        Live = new RowFilter(storage.Count);
        Live.SetAll();
        LiveCount = storage.Count;
    }

    public long Id { get; }

    public FlatVectorStorage Storage { get; }

    public int[] RowToSlot { get; }

    public RowFilter Live { get; }

    public int LiveCount { get; private set; }

    public int Count => Storage.Count;

    public int DeadCount => Count - LiveCount;

    /// <summary>The index, or null while none is built (or the space has no spec): then searched exactly.</summary>
    public IVectorIndex? Index { get; private set; }

    /// <summary>The space's configured spec the index was built for (its own spec may cap IVF's nlist).</summary>
    public IndexSpec? BuiltFor { get; init; }

    /// <summary>Why the last build of this segment failed; null when none failed.</summary>
    public string? BuildError { get; set; }

    /// <summary>The spec whose build failed, so the optimizer does not retry it until the spec changes.</summary>
    public IndexSpec? FailedFor { get; set; }

    /// <summary>Tombstones a row. Caller holds the write lock.</summary>
    public void Kill(int row)
    {
        if (Live.Contains(row))
        {
            Live.Clear(row);
            LiveCount--;
        }
    }

    /// <summary>Drops the index (the space's spec was removed). Caller holds the write lock, so no search uses it.</summary>
    public void DropIndex()
    {
        Index?.Dispose();
        Index = null;
    }

    public void Dispose() => DropIndex();
}
