using Retrieval.USearch.Tests.Support;

namespace Retrieval.USearch.Tests.Index;

/// <summary>The managed graph: adds, counts, searches and the checks on their arguments.</summary>
public sealed class UsearchIndexTests
{
    [Fact]
    public void Create_Always_ReportsItsConfiguration()
    {
        using var index = TestGraphs.Create(8, UsearchMetric.Cosine, UsearchScalar.F16);

        Assert.Equal(8, index.Dimension);
        Assert.Equal(UsearchMetric.Cosine, index.Metric);
        Assert.Equal(UsearchScalar.F16, index.Scalar);
        Assert.Equal(TestGraphs.SearchThreads, index.SearchThreads);
        Assert.Equal(TestGraphs.ExpansionAdd, index.ExpansionAdd);
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void SerializedLength_IsTheLengthOfTheSerializedGraph_AndHoldsItsVectors()
    {
        var data = TestGraphs.Data(UsearchMetric.SquaredL2);
        using var index = TestGraphs.Build(data, UsearchMetric.SquaredL2, addThreads: 2);

        Assert.Equal(index.Serialize().LongLength, index.SerializedLength);
        Assert.True(index.SerializedLength >= (long)data.Count * data.Dimension * sizeof(float), $"{index.SerializedLength} bytes for {data.Count} vectors");
    }

    [Fact]
    public void Add_EveryRow_CountsThemAndEachRowFindsItself()
    {
        var data = TestGraphs.Data(UsearchMetric.SquaredL2);
        using var index = TestGraphs.Build(data, UsearchMetric.SquaredL2, addThreads: 4);
        var keys = new ulong[1];
        var distances = new float[1];

        Assert.Equal(data.Count, index.Count);
        foreach (var row in new[] { 0, 1, 777, data.Count - 1 })
        {
            var found = index.Search(data.Vectors.AsSpan(row * data.Dimension, data.Dimension), 1, 0, default, filtered: false, keys, distances);
            Assert.Equal(1, found);
            Assert.Equal((ulong)data.Ids[row], keys[0]);
            Assert.Equal(0f, distances[0], 1e-5f);
        }
    }

    [Fact]
    public void Search_FewerItemsThanK_ReturnsAllOfThemBestFirst()
    {
        using var index = TestGraphs.Create(2, UsearchMetric.SquaredL2);
        index.Reserve(3, 1);
        index.Add(10, [0f, 0f]);
        index.Add(20, [3f, 4f]);
        index.Add(30, [1f, 0f]);
        var keys = new ulong[5];
        var distances = new float[5];

        var found = index.Search([0f, 0f], 5, 0, default, filtered: false, keys, distances);

        Assert.Equal(3, found);
        Assert.Equal([10ul, 30ul, 20ul], keys[..3]);
        Assert.Equal([0f, 1f, 25f], distances[..3]);
    }

    [Fact]
    public void Search_Empty_FindsNothing()
    {
        using var index = TestGraphs.Create(2, UsearchMetric.InnerProduct);

        Assert.Equal(0, index.Search([1f, 0f], 3, 0, default, filtered: false, new ulong[3], new float[3]));
    }

    [Fact]
    public void Search_BadArguments_Throw()
    {
        using var index = TestGraphs.Create(2, UsearchMetric.InnerProduct);

        Assert.Throws<ArgumentException>(() => index.Search([1f, 0f, 0f], 1, 0, default, filtered: false, new ulong[1], new float[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1f, 0f], 0, 0, default, filtered: false, new ulong[1], new float[1]));
        Assert.Throws<ArgumentException>(() => index.Search([1f, 0f], 4, 0, default, filtered: false, new ulong[3], new float[4]));
        Assert.Throws<ArgumentException>(() => index.Add(1, [1f]));
    }

    [Fact]
    public void Create_BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => UsearchIndex.Create(0, UsearchMetric.Cosine, UsearchScalar.F32, 16, 64, 64, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => UsearchIndex.Create(4, UsearchMetric.Cosine, UsearchScalar.F32, 1, 64, 64, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => UsearchIndex.Create(4, (UsearchMetric)42, UsearchScalar.F32, 16, 64, 64, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => UsearchIndex.Create(4, UsearchMetric.Cosine, (UsearchScalar)42, 16, 64, 64, 1));
    }

    [Fact]
    public void Search_ConcurrentWithMixedExpansions_ReturnsWhatEachExpansionReturnsAlone()
    {
        var data = TestGraphs.Data(UsearchMetric.SquaredL2);
        using var index = TestGraphs.Build(data, UsearchMetric.SquaredL2, addThreads: 4);
        int[] expansions = [16, 64, 200];
        var alone = expansions.ToDictionary(e => e, e => TestGraphs.SearchAll(index, data, TestGraphs.K, e));

        // More callers than search slots, switching efSearch between calls: every result must still be the one its
        // own expansion gives.
        Parallel.For(0, 3 * data.QueryCount, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var expansion = expansions[i % expansions.Length];
            var q = i / expansions.Length;
            var keys = new ulong[TestGraphs.K];
            var distances = new float[TestGraphs.K];
            var found = index.Search(data.Queries.AsSpan(q * data.Dimension, data.Dimension), TestGraphs.K, expansion, default, filtered: false, keys, distances);
            Assert.Equal(alone[expansion][q], keys[..found]);
        });
    }

    [Fact]
    public void Dispose_Twice_IsHarmless()
    {
        var index = TestGraphs.Create(2, UsearchMetric.Cosine);

        index.Dispose();
        index.Dispose();
    }
}
