using Retrieval.USearch.Tests.Support;

namespace Retrieval.USearch.Tests.Index;

/// <summary>Serialize and Deserialize: a loaded graph answers exactly as the one saved, with its search settings restored.</summary>
public sealed class UsearchSnapshotTests
{
    [Theory]
    [InlineData(UsearchMetric.SquaredL2, UsearchScalar.F32)]
    [InlineData(UsearchMetric.InnerProduct, UsearchScalar.F16)]
    [InlineData(UsearchMetric.Cosine, UsearchScalar.I8)]
    public void Deserialize_AfterSerialize_SearchesIdentically(UsearchMetric metric, UsearchScalar scalar)
    {
        var data = TestGraphs.Data(metric);
        using var original = TestGraphs.Build(data, metric, scalar, addThreads: 4);
        var bytes = original.Serialize();

        using var loaded = UsearchIndex.Deserialize(
            bytes, data.Dimension, metric, scalar, TestGraphs.Connectivity, TestGraphs.ExpansionSearch, TestGraphs.SearchThreads);

        Assert.Equal(original.Count, loaded.Count);
        Assert.Equal((metric, scalar, data.Dimension), (loaded.Metric, loaded.Scalar, loaded.Dimension));
        Assert.Equal(TestGraphs.SearchAll(original, data, TestGraphs.K), TestGraphs.SearchAll(loaded, data, TestGraphs.K));
    }

    [Fact]
    public void Deserialize_OtherDimension_ThrowsUsearchException()
    {
        using var original = TestGraphs.Create(4, UsearchMetric.SquaredL2);
        original.Reserve(1, 1);
        original.Add(1, [1f, 2f, 3f, 4f]);
        var bytes = original.Serialize();

        Assert.Throws<UsearchException>(() => UsearchIndex.Deserialize(
            bytes, 8, UsearchMetric.SquaredL2, UsearchScalar.F32, TestGraphs.Connectivity, TestGraphs.ExpansionSearch, 1));
    }

    [Fact]
    public void Deserialize_Garbage_ThrowsUsearchException()
    {
        var garbage = new byte[256];
        new Random(7).NextBytes(garbage);

        Assert.Throws<UsearchException>(() => UsearchIndex.Deserialize(
            garbage, 4, UsearchMetric.SquaredL2, UsearchScalar.F32, TestGraphs.Connectivity, TestGraphs.ExpansionSearch, 1));
    }
}
