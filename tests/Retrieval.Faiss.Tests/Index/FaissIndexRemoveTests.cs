using Retrieval.TestData;
using Retrieval.Faiss.Tests.Support;

namespace Retrieval.Faiss.Tests.Index;

public sealed class FaissIndexRemoveTests
{
    [Theory]
    [MemberData(nameof(Factories.Removable), MemberType = typeof(Factories))]
    public void Remove_HalfTheIds_CountDropsAndRemovedIdsNeverReturn(string factory)
    {
        var data = TestIndexes.Data(FaissMetric.L2);
        using var index = TestIndexes.Build(factory, FaissMetric.L2);
        var removed = data.Ids.Where((_, row) => row % 2 == 0).ToArray();

        var count = index.Remove(removed);

        Assert.Equal(removed.Length, count);
        Assert.Equal(data.Count - removed.Length, index.Count);
        var gone = removed.ToHashSet();
        var result = index.Search(data.Queries, TestIndexes.K, TestIndexes.Effort);
        for (var q = 0; q < result.QueryCount; q++)
        {
            Assert.DoesNotContain(result.Ids(q).ToArray(), gone.Contains);
        }
    }

    [Fact]
    public void Remove_UnknownIds_RemovesNothing()
    {
        using var index = TestIndexes.Build(Factories.Flat, FaissMetric.L2);

        Assert.Equal(0, index.Remove([-5, 7, 8]));
    }

    [Fact]
    public void Remove_Hnsw_ThrowsFaissExceptionWithFaissMessage()
    {
        using var index = TestIndexes.Build(Factories.Hnsw, FaissMetric.L2);

        var error = Assert.Throws<FaissException>(() => index.Remove([ClusteredData.RowToId(0)]));

        Assert.Equal(FaissErrorCode.Faiss, error.ErrorCode);
        Assert.Contains("not implemented", error.Message, StringComparison.Ordinal);
    }
}
