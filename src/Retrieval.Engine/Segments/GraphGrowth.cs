using Retrieval.Core.Search;
using Retrieval.Engine.Indexes;

namespace Retrieval.Engine.Segments;

/// <summary>Inserts the rows of a merge that follow the base's own into a copy of the base's graph.</summary>
internal static class GraphGrowth
{
    private const int AddChunk = 4096;

    /// <summary>
    /// Adds rows <paramref name="firstNew"/>.. of <paramref name="rows"/> to <paramref name="graph"/> under their row
    /// positions, checking for cancellation between chunks, and returns the graph.
    /// </summary>
    public static IVectorIndex AddRows(IVectorIndex graph, FlatVectorStorage rows, int firstNew, BuildProgress progress, CancellationToken cancellationToken)
    {
        var dimension = rows.Dimension;
        var data = rows.RawData;
        var ids = new long[AddChunk];
        progress.Report(firstNew);
        for (var start = firstNew; start < rows.Count; start += AddChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = Math.Min(AddChunk, rows.Count - start);
            for (var i = 0; i < n; i++)
            {
                ids[i] = start + i;
            }

            graph.Add(ids.AsSpan(0, n), data.AsSpan(start * dimension, n * dimension));
            progress.Report(start + n);
        }

        return graph;
    }
}
