using Retrieval.TestData;
using System.Numerics.Tensors;
using Retrieval.Faiss.Tests.Support;

namespace Retrieval.Faiss.Tests.Index;

/// <summary>Scores follow <see cref="FaissIndex.Metric"/>: higher is better, equal to what the exact search computes.</summary>
public sealed class FaissIndexScoreTests
{
    [Theory]
    [InlineData(FaissMetric.InnerProduct)]
    [InlineData(FaissMetric.L2)]
    public void Search_Flat_ScoresEqualExactScoresBestFirst(FaissMetric kind)
    {
        var data = TestIndexes.Data(kind);
        using var index = TestIndexes.Build(Factories.Flat, kind);
        var query = data.Queries.AsSpan(0, data.Dimension);

        var result = index.Search(query, TestIndexes.K);

        var scores = result.Scores(0);
        for (var i = 0; i < TestIndexes.K; i++)
        {
            var row = data.Vectors.AsSpan(ClusteredData.IdToRow(result.Ids(0)[i]) * data.Dimension, data.Dimension);
            var expected = kind == FaissMetric.InnerProduct
                ? TensorPrimitives.Dot(query, row)
                : -MathF.Pow(TensorPrimitives.Distance(query, row), 2);
            Assert.Equal(expected, scores[i], 1e-3f);
            if (i > 0)
            {
                Assert.True(scores[i - 1] >= scores[i], "scores must be best first");
            }
        }
    }

    [Fact]
    public void Search_FewerVectorsThanK_PadsWithMinusOneAndNegativeInfinity()
    {
        using var index = FaissIndex.Create(Factories.Flat, 2, FaissMetric.L2);
        index.Add([10, 20], [0f, 0f, 1f, 1f]);

        var result = index.Search([0f, 0f], 3);

        Assert.Equal([10L, 20L, -1L], result.Ids(0).ToArray());
        Assert.Equal([0f, -2f, float.NegativeInfinity], result.Scores(0).ToArray());
    }
}
