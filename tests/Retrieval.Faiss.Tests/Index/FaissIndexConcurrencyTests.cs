using Retrieval.TestData;
using Retrieval.Faiss.Tests.Support;

namespace Retrieval.Faiss.Tests.Index;

/// <summary>Concurrent readers and a writer on one index: the lock keeps Faiss's rule (no search during add).</summary>
public sealed class FaissIndexConcurrencyTests
{
    [Fact]
    public async Task SearchWhileAdding_NoCrashAndNothingLost()
    {
        var data = TestIndexes.Data(FaissMetric.L2);
        using var index = FaissIndex.Create(Factories.Hnsw, data.Dimension, FaissMetric.L2);
        const int Batch = 250;

        var writer = Task.Run(() =>
        {
            for (var start = 0; start < data.Count; start += Batch)
            {
                index.Add(data.Ids.AsSpan(start, Batch), data.Vectors.AsSpan(start * data.Dimension, Batch * data.Dimension));
            }
        });
        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(() =>
        {
            var searches = 0;
            while (!writer.IsCompleted || searches == 0)
            {
                var q = (searches++ + r) % data.QueryCount;
                var result = index.Search(data.Queries.AsSpan(q * data.Dimension, data.Dimension), TestIndexes.K);
                Assert.All(result.Ids(0).ToArray(), id => Assert.True(id == -1 || ClusteredData.IdToRow(id) < data.Count));
            }
        })).ToArray();
        await Task.WhenAll([writer, .. readers]);

        Assert.Equal(data.Count, index.Count);
    }
}
