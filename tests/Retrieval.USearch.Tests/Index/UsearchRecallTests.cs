using Retrieval.USearch.Tests.Support;
using Xunit.Abstractions;

namespace Retrieval.USearch.Tests.Index;

/// <summary>
/// Recall@10 of the graph for each metric and scalar kind the engine uses, against Core's exact search on 5000 × 32
/// clustered vectors (M = 16, efConstruction = 128, efSearch = 64). Floors sit a few points under the values measured
/// with USearch 2.26.6 (in the comment per row), so that a real regression — a lost key, an ignored expansion, a wrong
/// metric — fails, and noise does not.
/// </summary>
public sealed class UsearchRecallTests(ITestOutputHelper output)
{
    public static TheoryData<UsearchMetric, UsearchScalar, double> Cases => new()
    {
        { UsearchMetric.SquaredL2, UsearchScalar.F32, 0.95 },
        { UsearchMetric.InnerProduct, UsearchScalar.F32, 0.95 },
        { UsearchMetric.Cosine, UsearchScalar.F32, 0.95 },
        { UsearchMetric.InnerProduct, UsearchScalar.F16, 0.95 },
        { UsearchMetric.Cosine, UsearchScalar.I8, 0.85 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Search_ClusteredData_RecallAtTenAboveFloor(UsearchMetric metric, UsearchScalar scalar, double floor)
    {
        var data = TestGraphs.Data(metric);
        var exact = Oracle.ExactIds(data, TestGraphs.K, metric);
        using var index = TestGraphs.Build(data, metric, scalar, addThreads: 4);

        var recall = Oracle.Recall(TestGraphs.SearchAll(index, data, TestGraphs.K), exact);

        output.WriteLine($"{metric} {scalar}: recall@10 = {recall:F3} (floor {floor})");
        Assert.True(recall >= floor, $"{metric} {scalar}: recall@10 {recall:F3} < floor {floor}");
    }

    [Fact]
    public void Search_HigherExpansion_DoesNotLowerRecall()
    {
        var data = TestGraphs.Data(UsearchMetric.SquaredL2);
        var exact = Oracle.ExactIds(data, TestGraphs.K, UsearchMetric.SquaredL2);
        using var index = TestGraphs.Build(data, UsearchMetric.SquaredL2, addThreads: 4);

        var low = Oracle.Recall(TestGraphs.SearchAll(index, data, TestGraphs.K, expansion: TestGraphs.K), exact);
        var high = Oracle.Recall(TestGraphs.SearchAll(index, data, TestGraphs.K, expansion: 256), exact);

        output.WriteLine($"efSearch 10: {low:F3}, efSearch 256: {high:F3}");
        Assert.True(high >= low, $"efSearch 256 gave {high:F3}, below efSearch 10's {low:F3}");
        Assert.True(high >= 0.99, $"efSearch 256 recall {high:F3} < 0.99");
    }
}
