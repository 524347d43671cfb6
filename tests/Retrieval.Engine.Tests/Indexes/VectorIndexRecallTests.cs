using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Tests.Support;
using Retrieval.TestData;

namespace Retrieval.Engine.Tests.Indexes;

/// <summary>
/// Every index type and metric against the exact index on seeded clustered data, with named recall floors. Floors
/// sit below the values measured on this data so that a broken build (wrong metric, lost ids, ignored parameters)
/// fails while seed-to-seed noise does not.
/// </summary>
public sealed class VectorIndexRecallTests
{
    private const int K = 10;
    private static readonly IndexSearchParameters Parameters = new(EfSearch: 64, NProbe: 8);

    public static TheoryData<string, Metric, double> Cases()
    {
        var cases = new TheoryData<string, Metric, double>();
        foreach (var metric in new[] { Metric.InnerProduct, Metric.Cosine, Metric.L2 })
        {
            cases.Add("HNSW16", metric, 0.95);
            cases.Add("HNSW16,SQ8", metric, 0.90);
            cases.Add("IVF32,Flat", metric, 0.90);
            cases.Add("IVF32,SQ8", metric, 0.85);
            // 4-bit codes keep k-means training fast on a busy CI machine; 8-bit PQ is exercised by the round trip.
            cases.Add("IVF32,PQ16x4", metric, 0.30);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Search_ClusteredData_MeetsRecallFloor(string spec, Metric metric, double floor)
    {
        var (data, storage, index) = Build(spec, metric);
        using (index)
        {
            var recall = Measure(data, storage, index, metric, filter: null);
            Assert.True(recall >= floor, $"{spec} {metric}: recall@{K} {recall:F3} below the floor {floor}");
        }
    }

    [Theory]
    [InlineData("HNSW16", Metric.Cosine, 0.95)]
    [InlineData("HNSW16,SQ8", Metric.L2, 0.90)]
    [InlineData("IVF32,Flat", Metric.InnerProduct, 0.90)]
    [InlineData("IVF32,SQ8", Metric.Cosine, 0.85)]
    [InlineData("IVF32,PQ16x4", Metric.L2, 0.30)]
    public void Search_WithFilter_ReturnsOnlyAllowedRowsAndMeetsRecallFloor(string spec, Metric metric, double floor)
    {
        var (data, storage, index) = Build(spec, metric);
        using (index)
        {
            // Every third row: a filter of a third of the segment, scattered over all clusters.
            var filter = new RowFilter(data.Count);
            for (var row = 0; row < data.Count; row += 3)
            {
                filter.Set(row);
            }

            var recall = Measure(data, storage, index, metric, filter);
            Assert.True(recall >= floor - 0.05, $"{spec} {metric} filtered: recall@{K} {recall:F3} below the floor {floor - 0.05}");
        }
    }

    [Theory]
    [InlineData("HNSW16")]
    [InlineData("HNSW16,SQ8")]
    [InlineData("IVF32,PQ8x8")]
    public void Serialize_ThenDeserialize_AnswersTheSame(string spec)
    {
        var (data, _, index) = Build(spec, Metric.Cosine);
        using (index)
        using (var copy = VectorIndexFactory.Deserialize(index.Spec, data.Dimension, Metric.Cosine, index.Serialize(), new IndexingOptions()))
        {
            Assert.Equal(index.Count, copy.Count);
            for (var q = 0; q < data.QueryCount; q++)
            {
                var (ids, _) = SearchOne(index, data.Query(q), null);
                var (copyIds, _) = SearchOne(copy, data.Query(q), null);
                Assert.Equal(ids, copyIds);
            }
        }
    }

    [Theory]
    [InlineData("HNSW16", 48)]
    [InlineData("HNSW16,efConstruction=120", 120)]
    [InlineData("HNSW16,SQ8,efConstruction=24", 24)]
    public void Build_Hnsw_UsesTheSpecsEfConstructionElseTheConfiguredOne(string spec, int expected)
    {
        var data = new ClusteredData(500, 10, 16, 5, seed: 3, normalize: false, spread: 0.2f);
        var options = new IndexingOptions { HnswEfConstruction = 48, BuildThreads = 2 };
        using var index = IndexBuilder.Build(IndexSpec.Parse(spec, 16, FieldPath.Of("index")), Metric.L2, Recall.Storage(data), options, null, CancellationToken.None);
        var efConstruction = index switch
        {
            GraphVectorIndex graph => graph.EfConstruction,
            UsearchVectorIndex usearch => usearch.EfConstruction,
            _ => throw new InvalidOperationException($"{spec} built a {index.GetType().Name}, not an HNSW graph"),
        };
        Assert.Equal(expected, efConstruction);
    }

    [Fact]
    public void Search_ConcurrentCallersWithDifferentEfSearch_EachGetTheResultOfItsOwnEf()
    {
        // efSearch is an index-level setting in USearch's C API: searches with one value share a read lock and those
        // asking for another switch it under the write lock. A search that ran with another caller's value would
        // return a different candidate list than the same search run alone.
        // Wide clusters in 64 dimensions: a graph walk with ef = k misses neighbours that ef = 200 finds.
        var data = new ClusteredData(4000, 100, 64, 10, seed: 11, normalize: false, spread: 1.0f);
        var options = new IndexingOptions { HnswEfConstruction = 16, BuildThreads = 2 };
        using var index = IndexBuilder.Build(IndexSpec.Parse("HNSW8", data.Dimension, FieldPath.Of("index")), Metric.L2, Recall.Storage(data), options, null, CancellationToken.None);
        var efs = new[] { 10, 200 };
        var expected = new long[efs.Length][][];
        for (var e = 0; e < efs.Length; e++)
        {
            expected[e] = [.. Enumerable.Range(0, data.QueryCount).Select(q => SearchOne(index, data.Query(q), null, efs[e]).Ids)];
        }

        var differing = Enumerable.Range(0, data.QueryCount).Count(q => !expected[0][q].SequenceEqual(expected[1][q]));
        Assert.True(differing >= data.QueryCount / 4, $"only {differing} queries tell ef 10 from ef 200: the test could not see a wrong ef");
        var wrong = 0;
        Parallel.For(0, 20 * efs.Length * data.QueryCount, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var e = i % efs.Length;
            var q = i / efs.Length % data.QueryCount;
            if (!expected[e][q].SequenceEqual(SearchOne(index, data.Query(q), null, efs[e]).Ids))
            {
                Interlocked.Increment(ref wrong);
            }
        });
        Assert.Equal(0, wrong);
    }

    [Fact]
    public void Build_IvfOnSmallSegment_CapsListsToTrainingPoints()
    {
        var data = new ClusteredData(640, 1, 16, 8, seed: 5, normalize: false, spread: 0.2f);
        var options = new IndexingOptions { TrainingPointsPerList = 64 };
        using var index = IndexBuilder.Build(IndexSpec.Parse("IVF1024,Flat", 16, FieldPath.Of("index")), Metric.L2, Recall.Storage(data), options, null, CancellationToken.None);
        Assert.Equal(10, index.Spec.NList);
        Assert.Equal(640, index.Count);
    }

    internal static (ClusteredData Data, FlatVectorStorage Storage, IVectorIndex Index) Build(string spec, Metric metric)
    {
        var data = new ClusteredData(4000, 100, 32, 30, seed: 42, normalize: metric == Metric.Cosine, spread: 0.2f);
        var storage = Recall.Storage(data);
        var options = new IndexingOptions { TrainingPointsPerList = 40, BuildThreads = 2 };
        var index = IndexBuilder.Build(IndexSpec.Parse(spec, data.Dimension, FieldPath.Of("index")), metric, storage, options, null, CancellationToken.None);
        Assert.Equal(data.Count, index.Count);
        return (data, storage, index);
    }

    private static double Measure(ClusteredData data, FlatVectorStorage storage, IVectorIndex index, Metric metric, RowFilter? filter)
    {
        var kind = metric == Metric.L2 ? ScoreKind.NegativeSquaredL2 : ScoreKind.InnerProduct;
        var exact = new List<IReadOnlyCollection<long>>();
        var approximate = new List<IReadOnlyCollection<long>>();
        for (var q = 0; q < data.QueryCount; q++)
        {
            exact.Add(ExactSearch.Search(storage, data.Query(q), K, kind, filter).Select(r => (long)r.Row).ToList());
            var (ids, _) = SearchOne(index, data.Query(q), filter);
            if (filter is not null)
            {
                Assert.All(ids, id => Assert.True(filter.Contains((int)id), $"row {id} is outside the filter"));
            }

            approximate.Add(ids);
        }

        return Recall.Of(exact, approximate);
    }

    private static (long[] Ids, float[] Scores) SearchOne(IVectorIndex index, float[] query, RowFilter? filter, int efSearch = 0)
    {
        var ids = new long[K];
        var scores = new float[K];
        var found = index.Search(query, K, efSearch > 0 ? Parameters with { EfSearch = efSearch } : Parameters, filter, ids, scores);
        return (ids[..found], scores[..found]);
    }
}
