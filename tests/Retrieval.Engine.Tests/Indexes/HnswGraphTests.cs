using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Indexes.Graph;
using Retrieval.Engine.Tests.Support;
using Retrieval.TestData;

namespace Retrieval.Engine.Tests.Indexes;

/// <summary>
/// Retrieval's own HNSW graph: full neighbour lists (pruned candidates kept), a better graph than USearch's at the same M
/// and efConstruction on hard data, growth by copy, its snapshot format, and old USearch snapshots still read.
/// </summary>
public sealed class HnswGraphTests
{
    private const int K = 10;

    // Wide clusters in 48 dimensions: a high intrinsic dimension, where the diversity heuristic alone leaves sparse lists.
    private static ClusteredData HardData() => new(3000, 100, 48, 6, seed: 16, normalize: true, spread: 1.0f);

    private static IVectorIndex Build(ClusteredData data, HnswLibrary library, string spec = "HNSW8", int threads = 1) =>
        IndexBuilder.Build(
            IndexSpec.Parse(spec, data.Dimension, FieldPath.Of("index")), Metric.Cosine, Recall.Storage(data),
            new IndexingOptions { HnswEfConstruction = 32, BuildThreads = threads, HnswLibrary = library }, null, CancellationToken.None);

    [Fact]
    public void Build_KeepsPrunedCandidates_SoLayerZeroListsAreThreeQuartersFull()
    {
        var data = HardData();
        using var index = Build(data, HnswLibrary.Retrieval);
        var graph = Assert.IsType<GraphVectorIndex>(index).Graph;
        // 2·M = 16 slots on layer 0, filled to at least three quarters (12) by each selection; only the first few nodes
        // can have had fewer others to link to.
        var filled = Enumerable.Range(0, data.Count).Count(node => graph.NeighbourCount(node, 0) >= 12);
        Assert.True(filled >= data.Count * 0.99, $"{filled} of {data.Count} nodes have at least 12 layer-0 neighbours");
    }

    [Fact]
    public void Search_AtLowEf_FindsMoreThanUsearchsGraphOfTheSameMAndEfConstruction()
    {
        var data = HardData();
        using var own = Build(data, HnswLibrary.Retrieval);
        using var usearch = Build(data, HnswLibrary.USearch);
        Assert.IsType<UsearchVectorIndex>(usearch);
        var storage = Recall.Storage(data);
        var ownRecall = RecallAt(data, storage, own, ef: 10);
        var usearchRecall = RecallAt(data, storage, usearch, ef: 10);
        Assert.True(ownRecall >= usearchRecall + 0.02, $"recall@{K} at ef 10: own graph {ownRecall:F3}, USearch {usearchRecall:F3}");
    }

    [Fact]
    public void Search_WithFilter_WalksThroughExcludedNodesAndReturnsOnlyAllowedOnes()
    {
        var data = HardData();
        using var index = Build(data, HnswLibrary.Retrieval, threads: 2);
        var filter = new RowFilter(data.Count);
        for (var row = 0; row < data.Count; row += 4)
        {
            filter.Set(row);
        }

        var storage = Recall.Storage(data);
        var exact = new List<IReadOnlyCollection<long>>();
        var found = new List<IReadOnlyCollection<long>>();
        for (var q = 0; q < data.QueryCount; q++)
        {
            exact.Add(ExactSearch.Search(storage, data.Query(q), K, ScoreKind.InnerProduct, filter).Select(r => (long)r.Row).ToList());
            var ids = SearchOne(index, data.Query(q), 128, filter);
            Assert.All(ids, id => Assert.True(filter.Contains((int)id), $"row {id} is outside the filter"));
            found.Add(ids);
        }

        var recall = Recall.Of(exact, found);
        Assert.True(recall >= 0.9, $"filtered recall@{K} {recall:F3}");
    }

    [Fact]
    public void CopyWithRoomFor_ThenAdd_GrowsTheCopyAndLeavesTheOriginal()
    {
        var data = HardData();
        var half = data.Count / 2;
        var options = new IndexingOptions { HnswEfConstruction = 32, BuildThreads = 2 };
        using var original = (GraphVectorIndex)VectorIndexFactory.Create(IndexSpec.Parse("HNSW8", data.Dimension, FieldPath.Of("index")), data.Dimension, Metric.Cosine, half, options);
        original.Add([.. Enumerable.Range(0, half).Select(i => (long)i)], data.Vectors.AsSpan(0, half * data.Dimension));
        var before = Enumerable.Range(0, 20).Select(q => SearchOne(original, data.Query(q), 64, null)).ToList();

        using var copy = original.CopyWithRoomFor(data.Count, options);
        copy.Add([.. Enumerable.Range(half, data.Count - half).Select(i => (long)i)], data.Vectors.AsSpan(half * data.Dimension));

        Assert.Equal(half, original.Count);
        Assert.Equal(data.Count, copy.Count);
        for (var q = 0; q < 20; q++)
        {
            Assert.Equal(before[q], SearchOne(original, data.Query(q), 64, null));
        }

        // Each added row finds itself.
        for (var row = half; row < data.Count; row += 97)
        {
            Assert.Equal(row, SearchOne(copy, data.Vectors.AsSpan(row * data.Dimension, data.Dimension).ToArray(), 64, null)[0]);
        }
    }

    [Fact]
    public void Deserialize_UsearchSnapshotOfAnHnswSpec_StillReadsAsUsearch()
    {
        var data = HardData();
        using var usearch = Build(data, HnswLibrary.USearch);
        using var read = VectorIndexFactory.Deserialize(usearch.Spec, data.Dimension, Metric.Cosine, usearch.Serialize(), new IndexingOptions());
        Assert.IsType<UsearchVectorIndex>(read);
        for (var q = 0; q < 10; q++)
        {
            Assert.Equal(SearchOne(usearch, data.Query(q), 32, null), SearchOne(read, data.Query(q), 32, null));
        }
    }

    [Fact]
    public void Deserialize_DamagedGraph_FailsWithInvalidData()
    {
        var data = new ClusteredData(300, 1, 8, 3, seed: 4, normalize: true);
        using var index = Build(data, HnswLibrary.Retrieval);
        var bytes = index.Serialize();
        var spec = index.Spec;

        Assert.Throws<InvalidDataException>(() => VectorIndexFactory.Deserialize(spec, 8, Metric.Cosine, bytes.AsSpan(0, bytes.Length - 4), new IndexingOptions()));
        Assert.Throws<InvalidDataException>(() => VectorIndexFactory.Deserialize(spec, 8, Metric.Cosine, [.. bytes, 0], new IndexingOptions()));
        Assert.Throws<InvalidDataException>(() => VectorIndexFactory.Deserialize(spec, 9, Metric.Cosine, bytes, new IndexingOptions()));

        // A link past the last node: the first neighbour slot of node 0 on layer 0.
        var layer0 = 40 + (300 * (8 + 1 + (4 * 8)));
        var damaged = bytes.ToArray();
        BitConverter.TryWriteBytes(damaged.AsSpan(layer0 + 4), 300);
        var error = Assert.Throws<InvalidDataException>(() => HnswGraph.Deserialize(damaged));
        Assert.Contains("links to 300", error.Message);
    }

    [Fact]
    public void Search_EmptyGraph_FindsNothing()
    {
        var graph = new HnswGraph(4, 4, 8, GraphMetric.SquaredL2, 0);
        Assert.Equal(0, graph.Search([1, 2, 3, 4], 5, 10, default, false, new long[5], new float[5]));
        Assert.True(HnswGraph.IsSerializedGraph(graph.Serialize()));
        Assert.Equal(0, HnswGraph.Deserialize(graph.Serialize()).Count);
    }

    [Fact]
    public void NodeArray_AcrossPages_KeepsEveryNodesElementsAndCopies()
    {
        var array = new NodeArray<int>(3, 10);
        array.EnsureNodes(70_000);
        for (var node = 0; node < 70_000; node++)
        {
            array.Of(node).Fill(node);
        }

        var copy = array.Copy(70_000, 140_000);
        Assert.True(copy.Capacity >= 140_000);
        Assert.Equal(70_000 * 3, array.Used(70_000).Sum(page => page.Length));
        foreach (var node in new[] { 0, 65_535, 65_536, 69_999 })
        {
            Assert.Equal([node, node, node], copy.Of(node).ToArray());
        }
    }

    private static double RecallAt(ClusteredData data, FlatVectorStorage storage, IVectorIndex index, int ef)
    {
        var exact = new List<IReadOnlyCollection<long>>();
        var found = new List<IReadOnlyCollection<long>>();
        for (var q = 0; q < data.QueryCount; q++)
        {
            exact.Add(ExactSearch.Search(storage, data.Query(q), K, ScoreKind.InnerProduct, null).Select(r => (long)r.Row).ToList());
            found.Add(SearchOne(index, data.Query(q), ef, null));
        }

        return Recall.Of(exact, found);
    }

    private static long[] SearchOne(IVectorIndex index, float[] query, int ef, RowFilter? filter)
    {
        var ids = new long[K];
        var scores = new float[K];
        var found = index.Search(query, K, new IndexSearchParameters(ef, 0), filter, ids, scores);
        return ids[..found];
    }
}
