using Retrieval.Core.Search;

namespace Retrieval.Engine.Segments;

/// <summary>The live rows of some sealed segments copied into one new storage, with where each row came from.</summary>
internal sealed record SegmentCopy(FlatVectorStorage Storage, int[] RowToSlot, (int Source, int Row)[] Provenance)
{
    /// <summary>Caller holds the collection's read lock (the tombstone bitsets change under its write lock).</summary>
    public static SegmentCopy LiveRows(IReadOnlyList<SealedSegment> sources, int dimension)
    {
        var total = sources.Sum(s => s.LiveCount);
        var storage = new FlatVectorStorage(dimension, Math.Max(total, 1));
        var rowToSlot = new int[total];
        var provenance = new (int Source, int Row)[total];
        var next = 0;
        for (var s = 0; s < sources.Count; s++)
        {
            var source = sources[s];
            for (var row = 0; row < source.Count; row++)
            {
                if (source.Live.Contains(row))
                {
                    storage.Add(source.Storage.Row(row));
                    rowToSlot[next] = source.RowToSlot[row];
                    provenance[next] = (s, row);
                    next++;
                }
            }
        }

        return new SegmentCopy(storage, rowToSlot, provenance);
    }
}
