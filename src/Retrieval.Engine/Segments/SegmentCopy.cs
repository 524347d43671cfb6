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

    /// <summary>
    /// Every row of <paramref name="graphBase"/> at its own position (its graph keeps the dead ones: they stay
    /// tombstoned through the provenance), then the live rows of <paramref name="others"/>: the rows of a merge into
    /// the base's graph, whose ids are row positions. Caller holds the collection's read lock.
    /// </summary>
    public static SegmentCopy Extending(SealedSegment graphBase, IReadOnlyList<SealedSegment> others, int dimension)
    {
        var total = graphBase.Count;
        foreach (var other in others)
        {
            total += other.LiveCount;
        }

        var storage = new FlatVectorStorage(dimension, total);
        var rowToSlot = new int[total];
        var provenance = new (int Source, int Row)[total];
        var next = 0;
        for (var row = 0; row < graphBase.Count; row++)
        {
            storage.Add(graphBase.Storage.Row(row));
            rowToSlot[next] = graphBase.RowToSlot[row];
            provenance[next] = (0, row);
            next++;
        }

        for (var s = 0; s < others.Count; s++)
        {
            var source = others[s];
            for (var row = 0; row < source.Count; row++)
            {
                if (source.Live.Contains(row))
                {
                    storage.Add(source.Storage.Row(row));
                    rowToSlot[next] = source.RowToSlot[row];
                    provenance[next] = (s + 1, row);
                    next++;
                }
            }
        }

        return new SegmentCopy(storage, rowToSlot, provenance);
    }
}
