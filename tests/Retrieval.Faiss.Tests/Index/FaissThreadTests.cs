using Retrieval.Faiss.Tests.Support;

namespace Retrieval.Faiss.Tests.Index;

/// <summary>Per-call and per-thread OpenMP thread counts: they apply where they are set, and nowhere else.</summary>
/// <remarks>In one collection with the tests that change the process-wide count, so that they never run at the same time.</remarks>
[Collection(nameof(FaissRuntime))]
public sealed class FaissThreadTests
{
    [Fact]
    public void UseThreadsOnThisThread_NestsRestoresAndStaysOnItsThread()
    {
        var processWide = FaissRuntime.ThreadCount;
        Assert.Equal(processWide, FaissRuntime.ThreadCountOnThisThread);
        using (FaissRuntime.UseThreadsOnThisThread(3))
        {
            Assert.Equal(3, FaissRuntime.ThreadCountOnThisThread);
            using (FaissRuntime.UseThreadsOnThisThread(2))
            {
                Assert.Equal(2, FaissRuntime.ThreadCountOnThisThread);
            }

            Assert.Equal(3, FaissRuntime.ThreadCountOnThisThread);
            var elsewhere = 0;
            var other = new Thread(() => elsewhere = FaissRuntime.ThreadCountOnThisThread);
            other.Start();
            other.Join();
            Assert.Equal(processWide, elsewhere);
        }

        Assert.Equal(processWide, FaissRuntime.ThreadCountOnThisThread);
        Assert.Throws<ArgumentOutOfRangeException>(() => FaissRuntime.UseThreadsOnThisThread(0));
    }

    [Fact]
    public void Search_BatchOnSeveralThreadsPerCall_MatchesOneThread()
    {
        var data = TestIndexes.Data(FaissMetric.L2);
        using var index = TestIndexes.Build(Factories.IvfFlat, FaissMetric.L2);

        var one = index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters { NProbe = 8, Threads = 1 });
        var four = index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters { NProbe = 8, Threads = 4 });

        for (var q = 0; q < data.QueryCount; q++)
        {
            Assert.Equal(one.Ids(q).ToArray(), four.Ids(q).ToArray());
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters { Threads = -1 }));
    }
}
