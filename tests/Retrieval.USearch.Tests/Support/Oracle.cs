using Retrieval.Core.Search;
using Retrieval.TestData;

namespace Retrieval.USearch.Tests.Support;

/// <summary>Exact top-k from Core's brute-force search (the oracle for the graph) and recall@k against it.</summary>
public static class Oracle
{
    /// <summary>
    /// The exact neighbours of every query. Inner product and cosine rank alike on the normalized data set, so both use
    /// the inner-product search; squared L2 uses the negated-distance one.
    /// </summary>
    public static long[][] ExactIds(ClusteredData data, int k, UsearchMetric metric)
    {
        var storage = new FlatVectorStorage(data.Dimension, data.Count);
        for (var r = 0; r < data.Count; r++)
        {
            storage.Add(data.Vectors.AsSpan(r * data.Dimension, data.Dimension));
        }

        var kind = metric == UsearchMetric.SquaredL2 ? ScoreKind.NegativeSquaredL2 : ScoreKind.InnerProduct;
        return ExactSearch.SearchBatch(storage, data.Queries, data.QueryCount, k, kind)
            .Select(hits => hits.Select(h => ClusteredData.RowToId(h.Row)).ToArray())
            .ToArray();
    }

    /// <summary>Mean over queries of |approximate ∩ exact| / |exact|.</summary>
    public static double Recall(ulong[][] found, long[][] exact)
    {
        var total = 0.0;
        for (var q = 0; q < exact.Length; q++)
        {
            var truth = exact[q].ToHashSet();
            total += truth.Count == 0 ? 1 : (double)found[q].Count(key => truth.Contains((long)key)) / truth.Count;
        }

        return total / exact.Length;
    }
}
