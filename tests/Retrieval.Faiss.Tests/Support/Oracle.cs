using Retrieval.TestData;
using Retrieval.Core.Search;

namespace Retrieval.Faiss.Tests.Support;

/// <summary>
/// Exact top-k from Core's brute-force search (the oracle for every approximate index) and recall@k against it. Only the
/// tests use Core: the binding itself does not reference it.
/// </summary>
public static class Oracle
{
    public static long[][] ExactIds(ClusteredData data, int k, FaissMetric metric, RowFilter? filter = null)
    {
        var storage = new FlatVectorStorage(data.Dimension, data.Count);
        for (var r = 0; r < data.Count; r++)
        {
            storage.Add(data.Vectors.AsSpan(r * data.Dimension, data.Dimension));
        }

        var kind = metric == FaissMetric.L2 ? ScoreKind.NegativeSquaredL2 : ScoreKind.InnerProduct;
        return ExactSearch.SearchBatch(storage, data.Queries, data.QueryCount, k, kind, filter)
            .Select(hits => hits.Select(h => ClusteredData.RowToId(h.Row)).ToArray())
            .ToArray();
    }

    /// <summary>Mean over queries of |approximate ∩ exact| / |exact|.</summary>
    public static double Recall(FaissSearchResult result, long[][] exact)
    {
        var total = 0.0;
        for (var q = 0; q < exact.Length; q++)
        {
            var truth = exact[q].ToHashSet();
            var found = 0;
            foreach (var id in result.Ids(q))
            {
                if (truth.Contains(id))
                {
                    found++;
                }
            }

            total += truth.Count == 0 ? 1 : (double)found / truth.Count;
        }

        return total / exact.Length;
    }
}
