using Retrieval.TestData;

namespace Retrieval.Faiss.Tests.Support;

/// <summary>Shared data sets and index builders, so that each test states only what it checks.</summary>
public static class TestIndexes
{
    public const int K = 10;

    // 5000 × 32 in 50 clusters; inner-product data is normalized, as cosine spaces store it.
    private static readonly Lazy<ClusteredData> L2Data = new(() => new ClusteredData(5000, 100, 32, 50, seed: 42, normalize: false));
    private static readonly Lazy<ClusteredData> IpData = new(() => new ClusteredData(5000, 100, 32, 50, seed: 43, normalize: true));

    /// <summary>Per-search parameters used by the recall tests: enough effort for high recall at this size.</summary>
    public static FaissSearchParameters Effort { get; } = new() { EfSearch = 64, NProbe = 8 };

    public static ClusteredData Data(FaissMetric kind) => kind == FaissMetric.InnerProduct ? IpData.Value : L2Data.Value;

    /// <summary>Creates, trains (on all vectors: the set is small) and fills an index.</summary>
    public static FaissIndex Build(string factory, FaissMetric kind)
    {
        var data = Data(kind);
        var index = FaissIndex.Create(factory, data.Dimension, kind);
        try
        {
            if (!index.IsTrained)
            {
                index.Train(data.Vectors);
            }

            index.Add(data.Ids, data.Vectors);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }
}
