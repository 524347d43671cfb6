using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Storage;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Maps;
using Retrieval.Engine.Migrations;
using Retrieval.TestData;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Shards;

/// <summary>
/// A collection of several shards answers exactly like the same collection in one shard: the same writes go to a
/// one-shard collection "one" and a sharded one "many" in the same engine, and every read and search is compared.
/// </summary>
public sealed class ShardedCollectionTests
{
    private const int Dimension = 12;

    // The segmented-search settings, with segments small enough that each shard seals and builds several, and without
    // the shutdown snapshot (as after a crash: the restart test relies on the snapshots written after builds).
    private static IndexingOptions SmallSegments(string directory)
    {
        var options = Segments.SegmentedSearchTests.Manual(directory);
        options.SealThreshold = 200;
        options.SnapshotAtShutdown = false;
        return options;
    }

    [Fact]
    public async Task CreateCollection_ShardsOutOfRange_NamesTheField()
    {
        await using var harness = await StartAsync();
        var error = await Assert.ThrowsAsync<RetrievalException>(() =>
            harness.Engine.CreateCollectionAsync("c", [Space("v", 4)], null, storeInputs: false, shards: 65, CancellationToken.None));
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("shards", error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Engine.ListCollections());

        var created = await harness.Engine.CreateCollectionAsync("d", [Space("v", 4)], null, storeInputs: false, shards: 0, CancellationToken.None);
        Assert.Equal(1, created.Definition.Shards);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public async Task ExactSearch_OverShards_EqualsOneShard_WithFiltersOffsetThresholdAndBatches(int shards)
    {
        await using var harness = await StartAsync();
        var data = await FillBothAsync(harness, shards, count: 900, index: null);
        var red = Filter("color", "red");
        foreach (var q in Enumerable.Range(0, data.QueryCount))
        {
            var query = new SearchQuery("v", data.Query(q), 10, WithPayload: true);
            AssertSameHits(harness, query);
            AssertSameHits(harness, query with { Filter = red });
            AssertSameHits(harness, query with { Offset = 7, K = 5 });
            var tenth = harness.Engine.Search("one", query)[9].Score;
            AssertSameHits(harness, query with { ScoreThreshold = tenth });
        }

        var batch = Enumerable.Range(0, data.QueryCount).Select(q => new SearchQuery("v", data.Query(q), 8)).ToList();
        var one = harness.Engine.SearchBatch("one", batch);
        var many = harness.Engine.SearchBatch("many", batch);
        Assert.Equal(one.Select(Ids), many.Select(Ids));
        Assert.Equal(shards, harness.Engine.GetCollection("many").Definition.Shards);
    }

    [Fact]
    public async Task Reads_OverShards_EqualOneShard_ScrollCountGetAndDeleteByFilter()
    {
        await using var harness = await StartAsync();
        await FillBothAsync(harness, shards: 4, count: 500, index: null);
        Assert.Equal(harness.Engine.Count("one", null), harness.Engine.Count("many", null));
        Assert.Equal(harness.Engine.Count("one", Filter("color", "blue")), harness.Engine.Count("many", Filter("color", "blue")));

        var ids = new[] { "i7", "missing", "i400", "i3" };
        Assert.Equal(
            harness.Engine.GetItems("one", ids, withVectors: true).Select(i => (i.Id, i.PayloadJson, i.Vectors!["v"].Sum())),
            harness.Engine.GetItems("many", ids, withVectors: true).Select(i => (i.Id, i.PayloadJson, i.Vectors!["v"].Sum())));

        // Pages follow ordinal id order across shards, with and without a filter.
        foreach (var filter in new PayloadFilter?[] { null, Filter("color", "green") })
        {
            Assert.Equal(ScrollAll(harness, "one", filter), ScrollAll(harness, "many", filter));
        }

        var deletedOne = await harness.Engine.DeleteAsync("one", Filter("color", "red"), CancellationToken.None);
        var deletedMany = await harness.Engine.DeleteAsync("many", Filter("color", "red"), CancellationToken.None);
        Assert.Equal(deletedOne.Count, deletedMany.Count);
        Assert.Equal(0, harness.Engine.Count("many", Filter("color", "red")));
        Assert.Equal(ScrollAll(harness, "one", null), ScrollAll(harness, "many", null));
    }

    [Fact]
    public async Task Search_TiedScores_BreakByIdWhateverTheShard()
    {
        await using var harness = await StartAsync();
        await harness.Engine.CreateCollectionAsync("c", [Space("v", 2)], null, storeInputs: false, shards: 3, CancellationToken.None);
        // Twelve items with the same vector: every score ties, so the order is the ids' ordinal order.
        var ids = Enumerable.Range(0, 12).Select(i => $"t{i:D2}").Reverse().ToList();
        await harness.Engine.UpsertAsync("c", ids.Select(id => Item(id, "v", [1, 0])).ToList(), CancellationToken.None);

        var hits = harness.Engine.Search("c", new SearchQuery("v", [1, 0], 12));

        Assert.Equal(ids.Order(StringComparer.Ordinal), hits.Select(h => h.Id));
        Assert.Equal(["t03", "t04", "t05"], harness.Engine.Search("c", new SearchQuery("v", [1, 0], 3, Offset: 3)).Select(h => h.Id));
    }

    [Fact]
    public async Task IndexedShards_BuildSeparately_ReportPerShardAndKeepRecall()
    {
        await using var harness = await StartAsync(null, SmallSegments, null);
        var data = await FillBothAsync(harness, shards: 3, count: 1500, index: "HNSW16");
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);

        var status = harness.Engine.GetSpaceIndexStatus("many", "v");
        Assert.Equal(3, status.Shards.Count);
        Assert.Equal(1500, status.TotalVectors);
        Assert.Equal(status.TotalVectors, status.Shards.Sum(s => s.TotalVectors));
        Assert.Equal(status.IndexedVectors, status.Shards.Sum(s => s.IndexedVectors));
        Assert.All(status.Shards, s => Assert.True(s.IndexedVectors > 0, "every shard builds its own index"));
        Assert.Equal([0, 1, 2], status.Segments.Select(s => s.Shard).Distinct().Order());

        var found = 0;
        var total = 0;
        for (var q = 0; q < data.QueryCount; q++)
        {
            var exact = Ids(harness.Engine.Search("many", new SearchQuery("v", data.Query(q), 10, Exact: true)));
            var approximate = Ids(harness.Engine.Search("many", new SearchQuery("v", data.Query(q), 10, EfSearch: 64)));
            found += approximate.Intersect(exact).Count();
            total += exact.Count;
        }

        Assert.True(found >= 0.95 * total, $"recall@10 {(double)found / total:F3} over 3 shards");
    }

    [Fact]
    public async Task Reopen_LoadsEachShardFromItsSnapshot_AndACorruptShardAloneIsRebuilt()
    {
        var log = new ListLogger<RetrievalEngine>();
        await using var harness = await StartAsync(null, SmallSegments, log);
        var data = await FillBothAsync(harness, shards: 3, count: 900, index: "HNSW8");
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        await harness.Engine.UpsertAsync("many", [Item("late", "v", data.Query(0), """{"color":"red"}""")], CancellationToken.None);
        await harness.Engine.DeleteAsync("many", ["i2", "i3"], CancellationToken.None);
        var expected = Enumerable.Range(0, data.QueryCount).Select(q => Ids(harness.Engine.Search("many", new SearchQuery("v", data.Query(q), 10, Exact: true)))).ToList();
        var shardFile = Path.Combine(harness.Directory, "snapshots", "many", "shard-1.snapshot");
        var bytes = await File.ReadAllBytesAsync(shardFile);
        bytes[bytes.Length / 2] ^= 0x20;
        await File.WriteAllBytesAsync(shardFile, bytes);

        await harness.ReopenAsync();

        Assert.Contains(log.Lines, l => l.Contains("Collection many shard 0: snapshot loaded", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Contains("Collection many shard 1: snapshot not used (corrupt:", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Contains("Collection many shard 2: snapshot loaded", StringComparison.Ordinal));
        Assert.Equal(901 - 2, harness.Engine.Count("many", null));
        Assert.Empty(harness.Engine.GetItems("many", ["i2", "i3"], withVectors: false));
        Assert.Equal(expected, Enumerable.Range(0, data.QueryCount).Select(q => Ids(harness.Engine.Search("many", new SearchQuery("v", data.Query(q), 10, Exact: true)))).ToList());
        var status = harness.Engine.GetSpaceIndexStatus("many", "v");
        Assert.True(status.Shards[0].IndexedVectors > 0 && status.Shards[2].IndexedVectors > 0);
        Assert.Equal(0, status.Shards[1].IndexedVectors);
    }

    [Fact]
    public async Task MixedSearchDuringAMigration_OverShards_EqualsOneShard()
    {
        await using var harness = await StartAsync();
        var data = new ClusteredData(400, 8, Dimension, 8, seed: 41, normalize: true, spread: 0.3f);
        foreach (var (name, shards) in new[] { ("one", 1), ("many", 4) })
        {
            await harness.Engine.CreateCollectionAsync(name, [Space("old", Dimension, Metric.Cosine), Space("new", Dimension, Metric.Cosine)], null, storeInputs: false, shards, CancellationToken.None);
            // Half the items hold both spaces (the anchors); the new model is a fixed permutation of the old one.
            await harness.Engine.UpsertAsync(name, Enumerable.Range(0, data.Count).Select(i => new ItemWrite($"i{i}", null, i % 2 == 0
                ? new Dictionary<string, float[]> { ["old"] = data.Row(i), ["new"] = Rotate(data.Row(i)) }
                : new Dictionary<string, float[]> { ["old"] = data.Row(i) })).ToList(), CancellationToken.None);
            await harness.Engine.PlanMigrationAsync(name, new MigrationPlan("m", "old", "new", null, new MigrationParameters { MapKind = MapKind.Orthogonal, Seed = 3 }), null, CancellationToken.None);
            await harness.Engine.FitMigrationAsync(name, "m", null, [], [], null, CancellationToken.None);
            await harness.Engine.ActivateMigrationAsync(name, "m", force: true, null, CancellationToken.None);
        }

        for (var q = 0; q < data.QueryCount; q++)
        {
            var query = new SearchQuery("new", Rotate(data.Query(q)), 10, Exact: true);
            var one = harness.Engine.Search("one", query);
            var many = harness.Engine.Search("many", query);
            Assert.Equal(one.Select(h => (h.Id, h.Path)), many.Select(h => (h.Id, h.Path)));
            Assert.Contains(many, h => h.Path == SearchPaths.Mapped);
        }

        var progressOne = (await harness.Engine.GetMigrationAsync("one", "m", CancellationToken.None)).Progress;
        var progressMany = (await harness.Engine.GetMigrationAsync("many", "m", CancellationToken.None)).Progress;
        Assert.Equal(progressOne, progressMany);
    }

    [Fact]
    public async Task RoutedSearchThroughAnActiveMap_OverShards_EqualsOneShard()
    {
        await using var harness = await StartAsync();
        var data = new ClusteredData(300, 6, Dimension, 6, seed: 43, normalize: true, spread: 0.3f);
        foreach (var (name, shards) in new[] { ("one", 1), ("many", 3) })
        {
            await harness.Engine.CreateCollectionAsync(name, [Space("old", Dimension, Metric.Cosine), Space("new", Dimension, Metric.Cosine)], null, storeInputs: false, shards, CancellationToken.None);
            await harness.Engine.UpsertAsync(name, Enumerable.Range(0, data.Count).Select(i => new ItemWrite($"i{i}", null,
                new Dictionary<string, float[]> { ["old"] = data.Row(i), ["new"] = Rotate(data.Row(i)) })).ToList(), CancellationToken.None);
            var map = await harness.Engine.FitMapAsync(name, new MapFitRequest("new", "old", MapKind.Orthogonal) { Seed = 2 }, CancellationToken.None);
            await harness.Engine.ActivateMapAsync(name, map.Id, force: true, CancellationToken.None);
        }

        for (var q = 0; q < data.QueryCount; q++)
        {
            var query = new SearchQuery("new", Rotate(data.Query(q)), 8, TargetSpace: "old", Exact: true);
            var one = harness.Engine.SearchWithRoute("one", query);
            var many = harness.Engine.SearchWithRoute("many", query);
            Assert.Equal(Ids(one.Hits), Ids(many.Hits));
            Assert.Single(many.MapsUsed);
        }
    }

    [Fact]
    public async Task MultiVectorSpace_OverShards_EqualsOneShard()
    {
        await using var harness = await StartAsync();
        var random = new DeterministicRandom(77);
        var settings = new MultiVectorSettings { Muvera = MuveraParameters.CompactPreset(8, seed: 5) };
        var documents = Enumerable.Range(0, 150).Select(_ => Enumerable.Range(0, 3 + random.NextInt(6)).Select(_ => Unit(random, 8)).ToArray()).ToList();
        foreach (var (name, shards) in new[] { ("one", 1), ("many", 3) })
        {
            await harness.Engine.CreateCollectionAsync(name,
                [new SpaceDefinition("mv", 8, Metric.InnerProduct, new ModelRef("test", "1"), Kind: SpaceKind.Multi, MultiVector: settings)],
                null, storeInputs: false, shards, CancellationToken.None);
            await harness.Engine.UpsertAsync(name, documents.Select((d, i) => new ItemWrite($"d{i}", null, new Dictionary<string, float[]>())
            {
                MultiVectors = new Dictionary<string, IReadOnlyList<float[]>> { ["mv"] = d },
            }).ToList(), CancellationToken.None);
        }

        for (var q = 0; q < 6; q++)
        {
            var query = new SearchQuery("mv", [], 5) { Rows = documents[q * 7].Take(2).ToArray(), Candidates = 150 };
            Assert.Equal(Ids(harness.Engine.Search("one", query)), Ids(harness.Engine.Search("many", query)));
            Assert.Equal(Ids(harness.Engine.Search("one", query with { Exact = true })), Ids(harness.Engine.Search("many", query with { Exact = true })));
        }

        Assert.Equal(harness.Engine.GetCollection("one").MultiVectorStats, harness.Engine.GetCollection("many").MultiVectorStats);
        Assert.Equal(
            harness.Engine.GetMultiVectorEncoding("one", "mv", "d3"),
            harness.Engine.GetMultiVectorEncoding("many", "mv", "d3"));
    }

    private static async Task<ClusteredData> FillBothAsync(EngineHarness harness, int shards, int count, string? index)
    {
        var data = new ClusteredData(count, 12, Dimension, 10, seed: 31, normalize: false, spread: 0.25f);
        string[] colors = ["red", "green", "blue"];
        foreach (var (name, n) in new[] { ("one", 1), ("many", shards) })
        {
            await harness.Engine.CreateCollectionAsync(name, [Space("v", Dimension, Metric.L2, index)], null, storeInputs: false, n, CancellationToken.None);
            for (var start = 0; start < count; start += 300)
            {
                await harness.Engine.UpsertAsync(name, Enumerable.Range(start, Math.Min(300, count - start))
                    .Select(i => Item($"i{i}", "v", data.Row(i), $$"""{"color":"{{colors[i % 3]}}","n":{{i}}}""")).ToList(), CancellationToken.None);
            }
        }

        return data;
    }

    private static void AssertSameHits(EngineHarness harness, SearchQuery query)
    {
        var one = harness.Engine.Search("one", query);
        var many = harness.Engine.Search("many", query);
        Assert.Equal(one.Select(h => (h.Id, h.Score, h.PayloadJson)), many.Select(h => (h.Id, h.Score, h.PayloadJson)));
    }

    private static List<string> ScrollAll(EngineHarness harness, string collection, PayloadFilter? filter)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var page = harness.Engine.Scroll(collection, filter, 37, cursor, withVectors: false);
            ids.AddRange(page.Items.Select(i => i.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return ids;
    }

    private static PayloadFilter Filter(string key, string value) =>
        new([new FilterCondition(key, [key], new MatchCondition([ScalarValue.Of(value)]), null)], [], []);

    private static List<string> Ids(IReadOnlyList<SearchHit> hits) => hits.Select(h => h.Id).ToList();

    private static float[] Rotate(float[] vector) => [.. vector.Skip(1), vector[0]];

    private static float[] Unit(DeterministicRandom random, int dimension)
    {
        var v = Enumerable.Range(0, dimension).Select(_ => (float)random.NextGaussian()).ToArray();
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / norm)];
    }
}
