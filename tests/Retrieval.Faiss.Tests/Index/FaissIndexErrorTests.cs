
namespace Retrieval.Faiss.Tests.Index;

[Collection(nameof(FaissRuntime))]
public sealed class FaissIndexErrorTests
{
    [Fact]
    public void Create_BadFactoryString_ThrowsFaissExceptionWithFaissMessage()
    {
        var error = Assert.Throws<FaissException>(() => FaissIndex.Create("HNSW32,Bogus", 16, FaissMetric.InnerProduct));

        Assert.Equal(FaissErrorCode.Faiss, error.ErrorCode);
        Assert.Contains("could not parse", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_UntrainedIvf_ThrowsFaissException()
    {
        using var index = FaissIndex.Create("IVF4,Flat", 2, FaissMetric.L2);

        var error = Assert.Throws<FaissException>(() => index.Add([1], [0f, 1f]));

        Assert.Contains("is_trained", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_VectorsNotMatchingIds_ThrowsArgumentException()
    {
        using var index = FaissIndex.Create("Flat", 2, FaissMetric.L2);

        Assert.Throws<ArgumentException>(() => index.Add([1, 2], [0f, 1f]));
        Assert.Throws<ArgumentException>(() => index.Add([1], [0f, 1f, 2f]));
    }

    [Fact]
    public void Search_AfterDoubleDispose_ThrowsObjectDisposedException()
    {
        var index = FaissIndex.Create("Flat", 2, FaissMetric.L2);
        index.Dispose();
        index.Dispose();

        Assert.Throws<ObjectDisposedException>(() => index.Search([0f, 0f], 1));
    }

    [Fact]
    public void ThreadCount_SetToOne_IsReportedAndResettable()
    {
        try
        {
            FaissRuntime.ThreadCount = 1;
            Assert.Equal(1, FaissRuntime.ThreadCount);
            Assert.Throws<FaissException>(() => FaissRuntime.ThreadCount = -2);
        }
        finally
        {
            FaissRuntime.ThreadCount = 0;
        }
    }
}
