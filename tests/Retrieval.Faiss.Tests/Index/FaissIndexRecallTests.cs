using Retrieval.Faiss.Tests.Support;
using Xunit.Abstractions;

namespace Retrieval.Faiss.Tests.Index;

/// <summary>
/// Recall@10 of every supported index type, for both metrics, against Core's exact search on
/// 5000 × 32 clustered vectors, with efSearch = 64 and nprobe = 8 of 64 lists.
/// Floors sit a few points under the values measured on Faiss 1.7.3 (in the comment per row) so that
/// a real regression — a lost id mapping, ignored parameters, a wrong metric — fails, and noise does not.
/// </summary>
public sealed class FaissIndexRecallTests(ITestOutputHelper output)
{
    public static TheoryData<string, FaissMetric, double> Cases => new()
    {
        { "Flat", FaissMetric.InnerProduct, 0.999 },       // 1.000
        { "Flat", FaissMetric.L2, 0.999 },                 // 1.000
        { "HNSW32", FaissMetric.InnerProduct, 0.95 },      // 1.000
        { "HNSW32", FaissMetric.L2, 0.94 },                // 0.977
        { "HNSW32,SQ8", FaissMetric.InnerProduct, 0.88 },  // 0.925
        { "HNSW32,SQ8", FaissMetric.L2, 0.92 },            // 0.963
        { "IVF64,Flat", FaissMetric.InnerProduct, 0.97 },  // 1.000
        { "IVF64,Flat", FaissMetric.L2, 0.97 },            // 1.000
        // 8 one-byte codes for 32 dimensions: coarse by design; normalized (inner-product) data
        // packs neighbours closer than the codebook resolves.
        { "IVF64,PQ8x8", FaissMetric.InnerProduct, 0.33 }, // 0.387
        { "IVF64,PQ8x8", FaissMetric.L2, 0.66 },           // 0.723
        { "IVF64,SQ8", FaissMetric.InnerProduct, 0.92 },   // 0.956
        { "IVF64,SQ8", FaissMetric.L2, 0.95 },             // 0.990
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Search_ClusteredData_RecallAtTenAboveFloor(string factory, FaissMetric kind, double floor)
    {
        var data = TestIndexes.Data(kind);
        var exact = Oracle.ExactIds(data, TestIndexes.K, kind);
        using var index = TestIndexes.Build(factory, kind);

        var result = index.Search(data.Queries, TestIndexes.K, TestIndexes.Effort);

        var recall = Oracle.Recall(result, exact);
        output.WriteLine($"{factory} {kind}: recall@10 = {recall:F3} (floor {floor})");
        Assert.True(recall >= floor, $"{factory} {kind}: recall@10 {recall:F3} < floor {floor}");
    }
}
