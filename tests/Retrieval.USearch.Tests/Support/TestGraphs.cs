using Retrieval.TestData;

namespace Retrieval.USearch.Tests.Support;

/// <summary>Shared data sets and graph builders, so that each test states only what it checks.</summary>
public static class TestGraphs
{
    public const int K = 10;

    /// <summary>HNSW M.</summary>
    public const int Connectivity = 16;

    /// <summary>efConstruction.</summary>
    public const int ExpansionAdd = 128;

    /// <summary>Default efSearch of the graphs built here.</summary>
    public const int ExpansionSearch = 64;

    public const int SearchThreads = 4;

    // 5000 × 32 in 50 clusters; the normalized set serves inner product and cosine, as cosine spaces store it.
    private static readonly Lazy<ClusteredData> L2Data = new(() => new ClusteredData(5000, 100, 32, 50, seed: 42, normalize: false));
    private static readonly Lazy<ClusteredData> UnitData = new(() => new ClusteredData(5000, 100, 32, 50, seed: 43, normalize: true));

    public static ClusteredData Data(UsearchMetric metric) => metric == UsearchMetric.SquaredL2 ? L2Data.Value : UnitData.Value;

    public static UsearchIndex Create(int dimension, UsearchMetric metric, UsearchScalar scalar = UsearchScalar.F32) =>
        UsearchIndex.Create(dimension, metric, scalar, Connectivity, ExpansionAdd, ExpansionSearch, SearchThreads);

    /// <summary>Creates a graph, reserves room for the data and adds every row under its id.</summary>
    public static UsearchIndex Build(ClusteredData data, UsearchMetric metric, UsearchScalar scalar = UsearchScalar.F32, int addThreads = 1)
    {
        var index = Create(data.Dimension, metric, scalar);
        try
        {
            index.Reserve(data.Count, addThreads);
            Parallel.For(0, data.Count, new ParallelOptions { MaxDegreeOfParallelism = addThreads }, row =>
                index.Add((ulong)data.Ids[row], data.Vectors.AsSpan(row * data.Dimension, data.Dimension)));
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>Searches every query of the data set: the keys found per query, best first.</summary>
    public static ulong[][] SearchAll(UsearchIndex index, ClusteredData data, int k, int expansion = 0)
    {
        var results = new ulong[data.QueryCount][];
        var keys = new ulong[k];
        var distances = new float[k];
        for (var q = 0; q < data.QueryCount; q++)
        {
            var found = index.Search(data.Queries.AsSpan(q * data.Dimension, data.Dimension), k, expansion, default, filtered: false, keys, distances);
            results[q] = keys[..found];
        }

        return results;
    }
}
