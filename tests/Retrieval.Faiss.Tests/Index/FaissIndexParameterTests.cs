using Retrieval.Faiss.Tests.Support;

namespace Retrieval.Faiss.Tests.Index;

/// <summary>
/// Per-search parameters take effect. Guards against Faiss 1.7.3 reading HNSW's efSearch from the index
/// rather than from SearchParametersHNSW alone (a search parameter that silently does nothing).
/// </summary>
public sealed class FaissIndexParameterTests
{
    [Fact]
    public void Search_HnswEfSearch_ChangesResultsAndSwitchesBack()
    {
        var data = TestIndexes.Data(FaissMetric.L2);
        var exact = Oracle.ExactIds(data, TestIndexes.K, FaissMetric.L2);
        using var index = TestIndexes.Build(Factories.Hnsw, FaissMetric.L2);

        var low = index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters { EfSearch = 10 });
        var high = index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters { EfSearch = 200 });
        var lowAgain = index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters { EfSearch = 10 });

        Assert.True(Oracle.Recall(high, exact) > Oracle.Recall(low, exact), "efSearch 200 must beat efSearch 10");
        for (var q = 0; q < data.QueryCount; q++)
        {
            Assert.Equal(low.Ids(q).ToArray(), lowAgain.Ids(q).ToArray());
        }
    }

    [Fact]
    public void Search_IvfNProbe_RaisesRecall()
    {
        var data = TestIndexes.Data(FaissMetric.L2);
        var exact = Oracle.ExactIds(data, TestIndexes.K, FaissMetric.L2);
        using var index = TestIndexes.Build(Factories.IvfFlat, FaissMetric.L2);

        var one = Oracle.Recall(index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters { NProbe = 1 }), exact);
        var sixteen = Oracle.Recall(index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters { NProbe = 16 }), exact);

        Assert.True(sixteen > one, $"nprobe 16 ({sixteen:F3}) must beat nprobe 1 ({one:F3})");
    }

    [Fact]
    public async Task Search_ConcurrentMixedEfSearch_MatchesSequentialResults()
    {
        var data = TestIndexes.Data(FaissMetric.L2);
        using var index = TestIndexes.Build(Factories.Hnsw, FaissMetric.L2);
        int[] efs = [10, 40, 160];
        var expected = efs.Select(ef => index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters { EfSearch = ef })).ToArray();

        var runs = Enumerable.Range(0, 12).Select(i => Task.Run(() => (i % efs.Length, index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters { EfSearch = efs[i % efs.Length] })))).ToArray();
        foreach (var (which, result) in await Task.WhenAll(runs))
        {
            for (var q = 0; q < data.QueryCount; q++)
            {
                Assert.Equal(expected[which].Ids(q).ToArray(), result.Ids(q).ToArray());
            }
        }
    }
}
