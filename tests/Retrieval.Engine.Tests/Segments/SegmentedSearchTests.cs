using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Tests.Support;
using Retrieval.TestData;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Segments;

/// <summary>The engine with sealed, indexed segments: recall against the exact override, tombstones, spec changes.</summary>
public sealed class SegmentedSearchTests
{
    private const int K = 10;

    internal static IndexingOptions Manual(string directory) => new()
    {
        SealThreshold = 500,
        MaxSealedSegments = 3,
        BackgroundOptimizer = false,
        TrainingPointsPerList = 20,
        BuildThreads = 2,
        SnapshotDirectory = Path.Combine(directory, "snapshots"),
    };

    [Theory]
    [InlineData("HNSW16", Metric.Cosine, 0.9)]
    [InlineData("HNSW16,SQ8", Metric.InnerProduct, 0.9)]
    [InlineData("IVF16,Flat", Metric.L2, 0.9)]
    [InlineData("IVF16,PQ16x4", Metric.Cosine, 0.75)]
    [InlineData("IVF16,SQ8", Metric.InnerProduct, 0.9)]
    public async Task Search_AfterSealAndBuild_MatchesExactWithinRecallFloor(string spec, Metric metric, double floor)
    {
        await using var harness = await StartAsync(null, Manual, null);
        var data = new ClusteredData(1800, 50, 32, 20, seed: 7, normalize: false, spread: 0.2f);
        await Fill(harness, data, metric, spec);
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);

        var status = harness.Engine.GetSpaceIndexStatus("c", "v");
        Assert.Equal(spec, status.Spec);
        Assert.Equal(data.Count, status.TotalVectors);
        Assert.True(status.IndexedVectors >= 1500, $"only {status.IndexedVectors} vectors indexed");
        Assert.Null(status.Build);

        var recall = RecallAgainstExact(harness.Engine, data, filter: null);
        // Quantized indexes over-fetch and re-score exactly, which lifts 4-bit PQ well above its raw recall.
        Assert.True(recall >= floor, $"{spec}: recall@{K} {recall:F3} below {floor}");
    }

    [Fact]
    public async Task Search_WithFilter_ReturnsOnlyMatchingItemsWithRecall()
    {
        await using var harness = await StartAsync(null, Manual, null);
        var data = new ClusteredData(1800, 50, 32, 20, seed: 8, normalize: false, spread: 0.2f);
        await Fill(harness, data, Metric.Cosine, "HNSW16");
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        var filter = new PayloadFilter([new FilterCondition("even", ["even"], new MatchCondition([ScalarValue.Of(true)]), null)], [], []);

        var recall = RecallAgainstExact(harness.Engine, data, filter);
        Assert.True(recall >= 0.85, $"filtered recall@{K} {recall:F3}");
        var hits = harness.Engine.Search("c", new SearchQuery("v", data.Query(0), K, filter));
        Assert.All(hits, h => Assert.True(int.Parse(h.Id[1..]) % 2 == 0, h.Id));
    }

    [Fact]
    public async Task UpdatesAndDeletes_InSealedSegments_AreTombstonedUntilRebuild()
    {
        await using var harness = await StartAsync(null, Manual, null);
        var data = new ClusteredData(1200, 5, 16, 10, seed: 9, normalize: false, spread: 0.2f);
        await Fill(harness, data, Metric.L2, "HNSW16");
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);

        // Move i0 onto query 0 exactly; delete what was nearest to it before.
        var before = harness.Engine.Search("c", new SearchQuery("v", data.Query(0), 1));
        await harness.Engine.DeleteAsync("c", [before[0].Id], CancellationToken.None);
        await harness.Engine.UpsertAsync("c", [Item("i0", "v", data.Query(0))], CancellationToken.None);

        var hits = harness.Engine.Search("c", new SearchQuery("v", data.Query(0), K));
        Assert.Equal("i0", hits[0].Id);
        Assert.Equal(0f, hits[0].Score, 3);
        Assert.DoesNotContain(hits, h => h.Id == before[0].Id && before[0].Id != "i0");
        Assert.Equal(data.Count - (before[0].Id == "i0" ? 0 : 1), harness.Engine.Count("c", null));

        var status = harness.Engine.GetSpaceIndexStatus("c", "v");
        Assert.Contains(status.Segments, s => s.LiveVectors < s.Vectors);
    }

    [Fact]
    public async Task SetIndex_OnLiveCollection_RebuildsWhileSearchesKeepAnswering()
    {
        await using var harness = await StartAsync(null, Manual, null);
        var data = new ClusteredData(1200, 20, 16, 10, seed: 10, normalize: false, spread: 0.2f);
        await Fill(harness, data, Metric.InnerProduct, "HNSW16");
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);

        await harness.Engine.SetSpaceIndexAsync("c", "v", "ivf8,flat", CancellationToken.None);
        var pending = harness.Engine.GetSpaceIndexStatus("c", "v");
        Assert.Equal("IVF8,Flat", pending.Spec);
        Assert.Equal(0, pending.IndexedVectors);
        Assert.True(RecallAgainstExact(harness.Engine, data, null) >= 0.99, "stale segments are searched exactly until rebuilt");

        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        var rebuilt = harness.Engine.GetSpaceIndexStatus("c", "v");
        Assert.All(rebuilt.Segments, s => Assert.StartsWith("IVF", s.IndexSpec, StringComparison.Ordinal));
        Assert.Equal(rebuilt.TotalVectors - rebuilt.AppendableVectors, rebuilt.IndexedVectors);

        await harness.Engine.SetSpaceIndexAsync("c", "v", null, CancellationToken.None);
        Assert.Null(harness.Engine.GetSpaceIndexStatus("c", "v").Spec);
        Assert.True(RecallAgainstExact(harness.Engine, data, null) >= 0.999);
    }

    [Fact]
    public async Task ManySmallSegments_AreMergedDownToTheLimit()
    {
        await using var harness = await StartAsync(null, Manual, null);
        await harness.Engine.CreateCollectionAsync("c", [Space("v", 8, Metric.L2, "HNSW8")], null, CancellationToken.None);
        var data = new ClusteredData(3000, 1, 8, 10, seed: 11, normalize: false, spread: 0.2f);
        for (var start = 0; start < data.Count; start += 500)
        {
            await harness.Engine.UpsertAsync("c", [.. Enumerable.Range(start, 500).Select(i => Item($"i{i}", "v", data.Row(i)))], CancellationToken.None);
            harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        }

        var status = harness.Engine.GetSpaceIndexStatus("c", "v");
        Assert.True(status.Segments.Count <= 3, $"{status.Segments.Count} segments");
        Assert.Equal(data.Count, status.IndexedVectors);
    }

    [Fact]
    public async Task ConcurrentWritesSearchesAndBuilds_LoseNothingAndNeverFail()
    {
        await using var harness = await StartAsync(null, dir => WithBackgroundOptimizer(Manual(dir)), null);
        await harness.Engine.CreateCollectionAsync("c", [Space("v", 8, Metric.Cosine, "HNSW8")], null, CancellationToken.None);
        using var stop = new CancellationTokenSource();
        // Writers start only once both searchers are searching, so the two really overlap on a busy machine.
        var searchersRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var searches = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var count = 0;
            while (!stop.IsCancellationRequested)
            {
                var hits = harness.Engine.Search("c", new SearchQuery(null, [1, 0, 0, 0, 0, 0, 0, 1], 5, EfSearch: 16 + (count % 3)));
                Assert.True(hits.Count <= 5);
                if (count++ == 0 && Interlocked.Increment(ref started) == 2)
                {
                    searchersRunning.SetResult();
                }
            }

            return count;
        })).ToList();
        await searchersRunning.Task;
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (var b = 0; b < 20; b++)
            {
                var items = Enumerable.Range(0, 50).Select(i => Item($"w{w}-{b}-{i}", "v", [.. Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble() + 0.01f)])).ToList();
                await harness.Engine.UpsertAsync("c", items, CancellationToken.None);
                if (b % 4 == 3)
                {
                    await harness.Engine.DeleteAsync("c", [$"w{w}-{b - 1}-0"], CancellationToken.None);
                }
            }
        })).ToList();

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        Assert.All(await Task.WhenAll(searches), count => Assert.True(count > 0));
        var expected = (3 * 20 * 50) - (3 * 5);
        Assert.Equal(expected, harness.Engine.Count("c", null));
        Assert.Equal(expected, harness.Engine.GetSpaceIndexStatus("c", "v").TotalVectors);

        // Every acknowledged item is found by its own vector, through whatever segments hold it now.
        var item = harness.Engine.GetItems("c", ["w2-19-49"], withVectors: true).Single();
        Assert.Equal("w2-19-49", harness.Engine.Search("c", new SearchQuery("v", item.Vectors!["v"], 1, Exact: true))[0].Id);
    }

    private static IndexingOptions WithBackgroundOptimizer(IndexingOptions options)
    {
        options.BackgroundOptimizer = true;
        options.OptimizerIntervalMs = 20;
        return options;
    }

    internal static async Task Fill(EngineHarness harness, ClusteredData data, Metric metric, string spec)
    {
        await harness.Engine.CreateCollectionAsync("c", [Space("v", data.Dimension, metric, spec)], null, CancellationToken.None);
        for (var start = 0; start < data.Count; start += 300)
        {
            var items = Enumerable.Range(start, Math.Min(300, data.Count - start))
                .Select(i => Item($"i{i}", "v", data.Row(i), $$"""{"even": {{(i % 2 == 0 ? "true" : "false")}}}"""))
                .ToList();
            await harness.Engine.UpsertAsync("c", items, CancellationToken.None);
        }
    }

    internal static double RecallAgainstExact(RetrievalEngine engine, ClusteredData data, PayloadFilter? filter)
    {
        var exact = new List<IReadOnlyCollection<long>>();
        var approximate = new List<IReadOnlyCollection<long>>();
        for (var q = 0; q < data.QueryCount; q++)
        {
            exact.Add(engine.Search("c", new SearchQuery("v", data.Query(q), K, filter, Exact: true)).Select(h => long.Parse(h.Id[1..])).ToList());
            approximate.Add(engine.Search("c", new SearchQuery("v", data.Query(q), K, filter, EfSearch: 64, NProbe: 8)).Select(h => long.Parse(h.Id[1..])).ToList());
        }

        return Recall.Of(exact, approximate);
    }
}
