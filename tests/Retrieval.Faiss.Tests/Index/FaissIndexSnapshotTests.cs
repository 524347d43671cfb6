using Retrieval.TestData;
using Retrieval.Faiss.Tests.Support;

namespace Retrieval.Faiss.Tests.Index;

public sealed class FaissIndexSnapshotTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("retrieval-faiss-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [MemberData(nameof(Factories.All), MemberType = typeof(Factories))]
    public void SaveLoad_RoundTrip_GivesIdenticalResults(string factory)
    {
        var data = TestIndexes.Data(FaissMetric.InnerProduct);
        using var original = TestIndexes.Build(factory, FaissMetric.InnerProduct);
        var path = Path.Combine(_directory, "index.faiss");

        original.Save(path);
        using var loaded = FaissIndex.Load(path);

        Assert.Equal(original.Count, loaded.Count);
        Assert.Equal(original.Dimension, loaded.Dimension);
        Assert.Equal(FaissMetric.InnerProduct, loaded.Metric);
        AssertSameResults(original, loaded, data);
    }

    [Theory]
    [InlineData(Factories.IvfFlat)]
    [InlineData(Factories.IvfPq)]
    public void SerializedSize_IsTheSerializedLength_WithoutMakingTheCopy(string factory)
    {
        using var index = TestIndexes.Build(factory, FaissMetric.L2);

        Assert.Equal(index.Serialize().LongLength, index.SerializedSize);
    }

    [Theory]
    [InlineData(Factories.Hnsw)]
    [InlineData(Factories.IvfSq8)]
    public void SerializeDeserialize_RoundTrip_GivesIdenticalResults(string factory)
    {
        var data = TestIndexes.Data(FaissMetric.L2);
        using var original = TestIndexes.Build(factory, FaissMetric.L2);

        using var copy = FaissIndex.Deserialize(original.Serialize());

        Assert.Equal(FaissMetric.L2, copy.Metric);
        AssertSameResults(original, copy, data);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFaissException()
    {
        var error = Assert.Throws<FaissException>(() => FaissIndex.Load(Path.Combine(_directory, "missing.faiss")));

        Assert.Contains("missing.faiss", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedFile_ThrowsFaissException()
    {
        using var original = TestIndexes.Build(Factories.Flat, FaissMetric.L2);
        var bytes = original.Serialize();
        var path = Path.Combine(_directory, "truncated.faiss");
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());

        Assert.Throws<FaissException>(() => FaissIndex.Load(path));
    }

    private static void AssertSameResults(FaissIndex expected, FaissIndex actual, ClusteredData data)
    {
        var before = expected.Search(data.Queries, TestIndexes.K, TestIndexes.Effort);
        var after = actual.Search(data.Queries, TestIndexes.K, TestIndexes.Effort);
        for (var q = 0; q < data.QueryCount; q++)
        {
            Assert.Equal(before.Ids(q).ToArray(), after.Ids(q).ToArray());
            Assert.Equal(before.Scores(q).ToArray(), after.Scores(q).ToArray());
        }
    }
}
