using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Storage;
using Retrieval.Engine.Cluster;
using Retrieval.Engine.Migrations;
using Retrieval.TestData;
using Retrieval.Core.Maps;
using Retrieval.Storage.Sqlite;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Shards;

/// <summary>
/// The engine's seam for shards served elsewhere (<see cref="IRemoteShards"/>), with a transport that runs in this
/// process: requests and responses travel as <see cref="ShardSearchCodec"/> bytes to <see cref="ShardReplica"/>s the
/// engine hosts (<see cref="RetrievalEngine.ShardReplicas"/>). Routed searches equal the same searches on an engine that
/// holds its shards itself, read the engine's own writes at once, and never come back short without saying so.
/// </summary>
public sealed class RoutedSearchTests
{
    private const int Dimension = 8;

    [Fact]
    public async Task RoutedSearch_EqualsLocalSearch_WithFiltersOffsetThresholdItemIdPayloadAndVectors()
    {
        await using var routed = await RoutedEngine.StartAsync(nodes: 2);
        await using var local = await StartAsync();
        foreach (var engine in new[] { routed.Engine, local.Engine })
        {
            await engine.CreateCollectionAsync("c", [Space("v", Dimension)], null, storeInputs: false, shards: 3, CancellationToken.None);
            await FillAsync(engine);
        }

        var random = new Random(5);
        var red = new PayloadFilter([new FilterCondition("color", ["color"], new MatchCondition([ScalarValue.Of("red")]), null)], [], []);
        var range = new PayloadFilter([new FilterCondition("n", ["n"], null, new RangeCondition(null, 40, 200, null))], [Condition("color", "blue")], []);
        for (var q = 0; q < 12; q++)
        {
            var query = new SearchQuery("v", Vector(random), 10, WithPayload: true);
            var queries = new[]
            {
                query,
                query with { Filter = red },
                query with { Filter = range, WithVectors = true },
                query with { Offset = 5, K = 7 },
                query with { ScoreThreshold = 0.2f },
                query with { Vector = [], ItemId = $"i{q * 7:D3}" },
                query with { Exact = true, WithPayload = false },
            };
            foreach (var each in queries)
            {
                AssertSame(local.Engine.SearchWithRoute("c", each), await routed.Engine.SearchCoalesced("c", each));
            }

            var batch = await routed.Engine.SearchBatchWithRoutesAsync("c", queries, CancellationToken.None);
            var expected = local.Engine.SearchBatchWithRoutes("c", queries);
            for (var i = 0; i < queries.Length; i++)
            {
                AssertSame(expected[i], batch[i]);
            }
        }

        Assert.True(routed.Remote.Searches > 0);
    }

    [Fact]
    public async Task RoutedSearch_MultiVectorSpace_EqualsLocalSearch()
    {
        await using var routed = await RoutedEngine.StartAsync(nodes: 2);
        await using var local = await StartAsync();
        var settings = new MultiVectorSettings { Muvera = MuveraParameters.CompactPreset(Dimension, seed: 11) };
        var random = new Random(8);
        var documents = Enumerable.Range(0, 120).Select(_ => Enumerable.Range(0, 3 + random.Next(4)).Select(_ => Vector(random)).ToArray()).ToArray();
        foreach (var engine in new[] { routed.Engine, local.Engine })
        {
            await engine.CreateCollectionAsync(
                "c", [new SpaceDefinition("mv", Dimension, Metric.InnerProduct, new ModelRef("test", "1"), Kind: SpaceKind.Multi, MultiVector: settings)],
                null, storeInputs: false, shards: 3, CancellationToken.None);
            await engine.UpsertAsync("c", documents.Select((d, i) => new ItemWrite($"d{i:D3}", $$"""{"n":{{i}}}""", new Dictionary<string, float[]>())
            {
                MultiVectors = new Dictionary<string, IReadOnlyList<float[]>> { ["mv"] = d },
            }).ToList(), CancellationToken.None);
        }

        for (var q = 0; q < 6; q++)
        {
            var query = new SearchQuery("mv", [], 8, WithPayload: true) { Rows = [.. Enumerable.Range(0, 3).Select(_ => Vector(random))] };
            foreach (var each in new[] { query, query with { Exact = true }, query with { Offset = 3, WithVectors = true }, query with { Candidates = 40 } })
            {
                AssertSame(local.Engine.SearchWithRoute("c", each), await routed.Engine.SearchCoalesced("c", each), "mv");
            }
        }

        Assert.True(routed.Remote.Searches > 0);
    }

    [Fact]
    public async Task RoutedSearch_MixedSearchDuringAMigration_EqualsLocalSearch_WithDerivedItems()
    {
        await using var routed = await RoutedEngine.StartAsync(nodes: 2);
        await using var local = await StartAsync();
        var data = new ClusteredData(400, 8, Dimension, 8, seed: 41, normalize: true, spread: 0.3f);
        foreach (var engine in new[] { routed.Engine, local.Engine })
        {
            await engine.CreateCollectionAsync("c", [Space("old", Dimension, Metric.Cosine), Space("new", Dimension, Metric.Cosine)], null, storeInputs: false, shards: 3, CancellationToken.None);
            // Half the items hold both spaces (the anchors); the new model is a fixed permutation of the old one.
            await engine.UpsertAsync("c", Enumerable.Range(0, 300).Select(i => new ItemWrite($"i{i:D3}", $$"""{"n":{{i}}}""", i % 2 == 0
                ? new Dictionary<string, float[]> { ["old"] = data.Row(i), ["new"] = Rotate(data.Row(i)) }
                : new Dictionary<string, float[]> { ["old"] = data.Row(i) })).ToList(), CancellationToken.None);
            await engine.PlanMigrationAsync("c", new MigrationPlan("m", "old", "new", null, new MigrationParameters { MapKind = MapKind.Orthogonal, Seed = 3 }), null, CancellationToken.None);
            await engine.FitMigrationAsync("c", "m", null, [], [], null, CancellationToken.None);
            await engine.ActivateMigrationAsync("c", "m", force: true, null, CancellationToken.None);
            // Writes during the migration with only an old vector: their new vector is derived through the inverse map.
            await engine.UpsertAsync("c", Enumerable.Range(300, 100).Select(i => new ItemWrite($"i{i:D3}", $$"""{"n":{{i}}}""",
                new Dictionary<string, float[]> { ["old"] = data.Row(i) })).ToList(), CancellationToken.None);
        }

        Assert.True((await local.Engine.GetMigrationAsync("c", "m", CancellationToken.None)).Progress!.DerivedItems > 0);
        var range = new PayloadFilter([new FilterCondition("n", ["n"], null, new RangeCondition(null, 50, 350, null))], [], []);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var derivedHits = 0;
        for (var q = 0; q < data.QueryCount; q++)
        {
            var query = new SearchQuery("new", Rotate(data.Query(q)), 10, WithPayload: true, Exact: true);
            var queries = new[] { query, query with { Filter = range }, query with { Exact = false, Offset = 3 } };
            foreach (var each in queries)
            {
                var expected = local.Engine.SearchWithRoute("c", each);
                var actual = await routed.Engine.SearchCoalesced("c", each);
                AssertSame(expected, actual, "new", ownMaps: true);
                Assert.Equal(expected.Hits.Select(h => h.Path), actual.Hits.Select(h => h.Path));
            }

            var batch = await routed.Engine.SearchBatchWithRoutesAsync("c", queries, CancellationToken.None);
            var expectedBatch = local.Engine.SearchBatchWithRoutes("c", queries);
            for (var i = 0; i < queries.Length; i++)
            {
                AssertSame(expectedBatch[i], batch[i], "new", ownMaps: true);
                Assert.Equal(expectedBatch[i].Hits.Select(h => h.Path), batch[i].Hits.Select(h => h.Path));
            }

            var grouped = query with { GroupBy = "n", GroupSize = 1, Filter = range };
            AssertSameGroups(local.Engine.SearchWithRoute("c", grouped), await routed.Engine.SearchCoalesced("c", grouped), "new");
            paths.UnionWith(batch.SelectMany(r => r.Hits).Select(h => h.Path!));
            derivedHits += batch.SelectMany(r => r.Hits).Count(h => int.Parse(h.Id[1..], System.Globalization.CultureInfo.InvariantCulture) >= 300);
        }

        // Both sides answered, and derived items (searched through the map on the replicas as on one node) among them.
        Assert.Equal([SearchPaths.Mapped, SearchPaths.Native], paths.Order(StringComparer.Ordinal));
        Assert.True(derivedHits > 0);

        Assert.True(routed.Remote.Searches > 0);
    }

    [Fact]
    public async Task RoutedSearch_Grouped_EqualsLocalSearch_ReadingDeeperThroughTheReplicas()
    {
        await using var routed = await RoutedEngine.StartAsync(nodes: 2);
        await using var local = await StartAsync();
        foreach (var engine in new[] { routed.Engine, local.Engine })
        {
            await engine.CreateCollectionAsync("c", [Space("v", Dimension)], null, storeInputs: false, shards: 3, CancellationToken.None);
            await FillAsync(engine);
        }

        var random = new Random(9);
        var deeperRounds = 0;
        for (var q = 0; q < 8; q++)
        {
            var query = new SearchQuery("v", Vector(random), 10) { GroupBy = "g", GroupSize = 3 };
            // "g" has 37 values over 300 items: ten full groups of three need more than the first 64 hits.
            var queries = new[] { query, query with { WithPayload = true, WithVectors = true }, query with { GroupBy = "color", GroupSize = 4, K = 3 }, query with { Vector = [], ItemId = $"i{q:D3}" } };
            foreach (var each in queries)
            {
                var before = routed.Remote.Searches;
                var expected = local.Engine.SearchWithRoute("c", each);
                var actual = await routed.Engine.SearchCoalesced("c", each);
                deeperRounds += routed.Remote.Searches - before - 1;
                AssertSameGroups(expected, actual, "v");
            }
        }

        Assert.True(deeperRounds > 0);
    }

    [Fact]
    public async Task RoutedSearch_ReadsItsOwnWrites_AndReplicasHearOfEachCommit()
    {
        await using var routed = await RoutedEngine.StartAsync(nodes: 2);
        var engine = routed.Engine;
        await engine.CreateCollectionAsync("c", [Space("v", Dimension)], null, storeInputs: false, shards: 2, replicas: 2, CancellationToken.None);
        await FillAsync(engine);
        var probe = new SearchQuery("v", [1, 0, 0, 0, 0, 0, 0, 0], 1);
        Assert.NotEmpty((await engine.SearchCoalesced("c", probe)).Hits);

        // The replicas are loaded now; a new write is answered by them at once (they catch up to this node's sequence).
        await engine.UpsertAsync("c", [Item("fresh", "v", [50, 0, 0, 0, 0, 0, 0, 0])], CancellationToken.None);
        Assert.Equal("fresh", Assert.Single((await engine.SearchCoalesced("c", probe)).Hits).Id);
        await engine.DeleteAsync("c", ["fresh"], CancellationToken.None);
        Assert.NotEqual("fresh", Assert.Single((await engine.SearchCoalesced("c", probe)).Hits).Id);

        // Each commit was passed on to every replica of the shard it touched.
        var shard = ShardAssignment.ShardOf("fresh", 2);
        Assert.Contains(routed.Remote.Notices, n => n.Collection == "c" && n.Replicas == 2 && n.Shards.SequenceEqual([shard]));

        // A replica of a deleted collection says so (its host releases it), also when the name is taken again.
        using var replica = await engine.ShardReplicas!.OpenAsync("c", 0, CancellationToken.None);
        Assert.True(replica.IsCurrent);
        await engine.DeleteCollectionAsync("c", CancellationToken.None);
        Assert.False(replica.IsCurrent);
        await engine.CreateCollectionAsync("c", [Space("v", Dimension)], null, storeInputs: false, shards: 2, CancellationToken.None);
        Assert.False(replica.IsCurrent);
    }

    [Fact]
    public async Task Replica_WritesItsSnapshotAfterAnIndexBuild_AndActivatedAgainReplaysOnlyTheChangesAfterIt()
    {
        await using var routed = await RoutedEngine.StartAsync(nodes: 1, directory =>
        {
            var options = Segments.SegmentedSearchTests.Manual(directory);
            options.SealThreshold = 100;
            options.SnapshotAtShutdown = false;
            return options;
        });
        var engine = routed.Engine;
        await engine.CreateCollectionAsync("c", [Space("v", Dimension, index: "HNSW8")], null, storeInputs: false, shards: 2, CancellationToken.None);
        await FillAsync(engine);
        var inShard0 = engine.GetItems("c", [.. Enumerable.Range(0, 300).Select(i => $"i{i:D3}")], withVectors: false).Count(i => ShardAssignment.ShardOf(i.Id, 2) == 0);

        // Fresh: no snapshot (this node's own collection builds nothing: its optimizer is not run), the whole shard replayed.
        var first = await engine.ShardReplicas!.OpenAsync("c", 0, CancellationToken.None);
        Assert.Equal(0, first.SnapshotSequence);
        Assert.Equal(inShard0, first.ItemCount);
        var replayedFresh = first.ReplayedChanges;
        Assert.True(replayedFresh >= inShard0);
        engine.ShardReplicas.RunOptimizerUntilIdle(CancellationToken.None);
        first.Dispose();

        // Changes after the snapshot: upserts and deletes, some in shard 0.
        var random = new Random(17);
        var tail = Enumerable.Range(0, 40).Select(i => Item($"t{i:D2}", "v", Vector(random))).ToList();
        await engine.UpsertAsync("c", tail, CancellationToken.None);
        await engine.DeleteAsync("c", ["i001", "i002", "i003", "i004"], CancellationToken.None);
        var tailInShard0 = tail.Count(i => ShardAssignment.ShardOf(i.Id, 2) == 0) + new[] { "i001", "i002", "i003", "i004" }.Count(id => ShardAssignment.ShardOf(id, 2) == 0);
        Assert.True(tailInShard0 > 0);

        using var again = await engine.ShardReplicas.OpenAsync("c", 0, CancellationToken.None);
        Assert.True(again.SnapshotSequence > 0, "the replica loaded the snapshot it wrote");
        Assert.Equal(tailInShard0, again.ReplayedChanges);
        var live = engine.GetItems("c", [.. Enumerable.Range(0, 300).Select(i => $"i{i:D3}"), .. tail.Select(t => t.Id)], withVectors: false);
        Assert.Equal(live.Count(i => ShardAssignment.ShardOf(i.Id, 2) == 0), again.ItemCount);

        // And it answers as the node's own shard does.
        var query = new SearchQuery("v", Vector(random), 10, Exact: true);
        var answer = await again.SearchAsync(new ShardSearchRequest("c", 0, engine.GetCollection("c").Definition.Version, 0, [new ShardQuery("v", query.Vector, 10, null, 0, 0, true, false, false)]), CancellationToken.None);
        var expected = engine.SearchWithRoute("c", query with { K = 300 }).Hits.Where(h => ShardAssignment.ShardOf(h.Id, 2) == 0).Take(10);
        Assert.Equal(expected.Select(h => (h.Id, h.Score)), answer.Hits[0].Select(h => (h.Id, h.Score)));
    }

    [Fact]
    public async Task ShardWithoutReplica_Unavailable_NamingIt_OrPartialWithMissingShards()
    {
        await using var routed = await RoutedEngine.StartAsync(nodes: 1);
        await using var local = await StartAsync();
        await routed.Engine.CreateCollectionAsync("c", [Space("v", Dimension)], null, storeInputs: false, shards: 3, CancellationToken.None);
        await FillAsync(routed.Engine);
        routed.Remote.Down.Add(1);
        var query = new SearchQuery("v", Vector(new Random(3)), 20);

        var error = await Assert.ThrowsAsync<RetrievalException>(() => routed.Engine.SearchCoalesced("c", query).AsTask());
        Assert.Equal(ErrorKind.Unavailable, error.Kind);
        Assert.Contains("shard 1", error.Message, StringComparison.Ordinal);

        var partial = await routed.Engine.SearchCoalesced("c", query with { AllowPartial = true });
        Assert.Equal([1], partial.MissingShards);
        var all = local.Engine;
        await all.CreateCollectionAsync("c", [Space("v", Dimension)], null, storeInputs: false, shards: 3, CancellationToken.None);
        await FillAsync(all);
        var kept = all.SearchWithRoute("c", query with { K = 200 }).Hits.Where(h => ShardAssignment.ShardOf(h.Id, 3) != 1).Take(20);
        Assert.Equal(kept.Select(h => h.Id), partial.Hits.Select(h => h.Id));

        routed.Remote.Down.Clear();
        Assert.Empty((await routed.Engine.SearchCoalesced("c", query with { AllowPartial = true })).MissingShards);
    }

    [Fact]
    public async Task Replicas_AtMostTheNodes_NamingTheField_AndKeptAcrossARestart()
    {
        await using var single = await StartAsync();
        var refused = await Assert.ThrowsAsync<RetrievalException>(() =>
            single.Engine.CreateCollectionAsync("c", [Space("v", 4)], null, storeInputs: false, shards: 1, replicas: 2, CancellationToken.None));
        Assert.Equal(ErrorKind.InvalidArgument, refused.Kind);
        Assert.Equal(FieldPath.Of("replicas"), refused.Path);
        Assert.Empty(single.Engine.ListCollections());

        await using var routed = await RoutedEngine.StartAsync(nodes: 3);
        var tooMany = await Assert.ThrowsAsync<RetrievalException>(() =>
            routed.Engine.CreateCollectionAsync("c", [Space("v", 4)], null, storeInputs: false, shards: 2, replicas: 4, CancellationToken.None));
        Assert.Contains("3", tooMany.Message, StringComparison.Ordinal);
        Assert.Equal(3, (await routed.Engine.CreateCollectionAsync("c", [Space("v", 4)], null, storeInputs: false, shards: 2, replicas: 3, CancellationToken.None)).Definition.Replicas);
        Assert.Equal(1, (await routed.Engine.CreateCollectionAsync("d", [Space("v", 4)], null, storeInputs: false, shards: 2, replicas: 0, CancellationToken.None)).Definition.Replicas);
        await routed.ReopenAsync();
        Assert.Equal(3, routed.Engine.GetCollection("c").Definition.Replicas);
    }

    [Fact]
    public void Codec_RoundTripsRequestsAndResponses()
    {
        var filter = new PayloadFilter(
            [new FilterCondition("a.b", ["a", "b"], new MatchCondition([ScalarValue.Of("x"), ScalarValue.Of(2.5), ScalarValue.Of(true)]), null)],
            [new FilterCondition("n", ["n"], null, new RangeCondition(1, null, null, 9.5))],
            [Condition("c", "y")]);
        var request = new ShardSearchRequest("col", 4, 7, 1234, [
            new ShardQuery("v", [1, -2.5f, 3], 11, filter, 64, 8, true, true, false),
            new ShardQuery("w", [], 1, null, 0, 0, false, false, true) { Tokens = [1, 2, 3, 4], TokenDimension = 2, Candidates = 30 },
            new ShardQuery("new", [0.5f], 3, null, 0, 0, false, false, false) { Mixed = new ShardMixedQuery("old", [0.25f, 2], new ScoreCalibration(1.5, -0.25, 40, 0.9)) }])
        {
            DerivedIds = ["x", "y"],
        };
        var read = ShardSearchCodec.ReadRequest(ShardSearchCodec.Write(request));
        Assert.Equal(request.DerivedIds, read.DerivedIds);
        Assert.Null(read.Queries[0].Mixed);
        var mixed = read.Queries[2].Mixed!;
        Assert.Equal(("old", new ScoreCalibration(1.5, -0.25, 40, 0.9)), (mixed.FromSpace, mixed.Calibration));
        Assert.Equal([0.25f, 2], mixed.MappedVector);
        Assert.Equal((request.Collection, request.Shard, request.DefinitionVersion, request.AtLeastSequence), (read.Collection, read.Shard, read.DefinitionVersion, read.AtLeastSequence));
        for (var i = 0; i < 2; i++)
        {
            var (a, b) = (request.Queries[i], read.Queries[i]);
            Assert.Equal(a.Vector, b.Vector);
            Assert.Equal(a.Tokens, b.Tokens);
            Assert.Equal(a with { Vector = b.Vector, Tokens = b.Tokens, Filter = null }, b with { Filter = null });
            Assert.Equal(a.Filter is null, b.Filter is null);
        }

        var conditions = read.Queries[0].Filter!;
        Assert.Equal(filter.Must[0].Path, conditions.Must[0].Path);
        Assert.Equal(filter.Must[0].Match!.Values, conditions.Must[0].Match!.Values);
        Assert.Equal(filter.MustNot[0].Range, conditions.MustNot[0].Range);
        Assert.Equal(filter.Should[0].Key, conditions.Should[0].Key);

        var response = new ShardSearchResponse(99, [
            [new ShardSearchHit("a", 0.5f, false, """{"k":1}""", new Dictionary<string, float[]> { ["v"] = [1, 2] }), new ShardSearchHit("b", 0.25f, true, null, null)],
            []]);
        var back = ShardSearchCodec.ReadResponse(ShardSearchCodec.Write(response));
        Assert.Equal(99, back.AppliedSequence);
        Assert.Equal(2, back.Hits.Count);
        Assert.Empty(back.Hits[1]);
        Assert.Equal(("a", 0.5f, false, """{"k":1}"""), (back.Hits[0][0].Id, back.Hits[0][0].Score, back.Hits[0][0].Mapped, back.Hits[0][0].PayloadJson));
        Assert.Equal([1f, 2f], back.Hits[0][0].Vectors!["v"]);
        Assert.Equal(("b", true, (string?)null), (back.Hits[0][1].Id, back.Hits[0][1].Mapped, back.Hits[0][1].PayloadJson));
        Assert.Null(back.Hits[0][1].Vectors);

        Assert.Throws<InvalidDataException>(() => ShardSearchCodec.ReadResponse([9, 0, 0]));
    }

    private static float[] Rotate(float[] vector) => [.. vector.Skip(1), vector[0]];

    private static FilterCondition Condition(string key, string value) => new(key, [key], new MatchCondition([ScalarValue.Of(value)]), null);

    private static float[] Vector(Random random) => [.. Enumerable.Range(0, Dimension).Select(_ => (float)(random.NextDouble() * 2 - 1))];

    private static async Task FillAsync(RetrievalEngine engine)
    {
        var random = new Random(11);
        string[] colors = ["red", "blue", "green"];
        var items = Enumerable.Range(0, 300)
            .Select(i => Item($"i{i:D3}", "v", Vector(random), $$"""{"color":"{{colors[i % 3]}}","n":{{i}},"g":{{i % 37}}}"""))
            .ToList();
        foreach (var chunk in items.Chunk(70))
        {
            await engine.UpsertAsync("c", chunk, CancellationToken.None);
        }

        await engine.DeleteAsync("c", ["i010", "i020", "i030"], CancellationToken.None);
    }

    private static void AssertSameGroups(SearchResult expected, SearchResult actual, string space)
    {
        Assert.Empty(actual.MissingShards);
        Assert.Empty(actual.Hits);
        Assert.NotEmpty(expected.Groups!);
        Assert.Equal(expected.Groups!.Count, actual.Groups!.Count);
        for (var g = 0; g < expected.Groups.Count; g++)
        {
            Assert.Equal(expected.Groups[g].Key, actual.Groups[g].Key);
            Assert.Equal(
                expected.Groups[g].Hits.Select(h => (h.Id, h.Score, h.PayloadJson, h.Path)),
                actual.Groups[g].Hits.Select(h => (h.Id, h.Score, h.PayloadJson, h.Path)));
            Assert.Equal(expected.Groups[g].Hits.Select(h => h.Vectors?[space]), actual.Groups[g].Hits.Select(h => h.Vectors?[space]));
        }
    }

    /// <summary>Equal hits; the maps used are equal too, or with <paramref name="ownMaps"/> (two engines fitted their own) as many.</summary>
    private static void AssertSame(SearchResult expected, SearchResult actual, string space = "v", bool ownMaps = false)
    {
        Assert.Empty(actual.MissingShards);
        Assert.Equal(expected.MapsUsed.Count, actual.MapsUsed.Count);
        Assert.True(ownMaps || expected.MapsUsed.SequenceEqual(actual.MapsUsed));
        Assert.NotEmpty(expected.Hits);
        Assert.Equal(expected.Hits.Select(h => (h.Id, h.Score, h.PayloadJson)), actual.Hits.Select(h => (h.Id, h.Score, h.PayloadJson)));
        Assert.Equal(expected.Hits.Select(h => h.Vectors?[space]), actual.Hits.Select(h => h.Vectors?[space]));
    }

    /// <summary>An engine whose shards are "remote": served by replicas it hosts, reached through bytes.</summary>
    private sealed class RoutedEngine : IAsyncDisposable
    {
        private readonly string _directory;

        private readonly Retrieval.Engine.Indexes.IndexingOptions? _indexing;

        private RoutedEngine(string directory, InProcessShards remote, Retrieval.Engine.Indexes.IndexingOptions? indexing)
        {
            _directory = directory;
            Remote = remote;
            _indexing = indexing;
        }

        public InProcessShards Remote { get; }

        public RetrievalEngine Engine { get; private set; } = null!;

        public static async Task<RoutedEngine> StartAsync(int nodes, Func<string, Retrieval.Engine.Indexes.IndexingOptions>? indexing = null)
        {
            var directory = Path.Combine(Path.GetTempPath(), "retrieval-engine-tests", Guid.NewGuid().ToString("N"));
            var routed = new RoutedEngine(directory, new InProcessShards(nodes), indexing?.Invoke(directory));
            await routed.OpenAsync();
            return routed;
        }

        public async Task ReopenAsync()
        {
            await Remote.CloseAsync();
            await Engine.DisposeAsync();
            await OpenAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await Remote.CloseAsync();
            await Engine.DisposeAsync();
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }

        private async Task OpenAsync()
        {
            Engine = new RetrievalEngine(new SqliteRetrievalStore(_directory), new EngineOptions(), NullLogger<RetrievalEngine>.Instance, _indexing, remoteShards: Remote);
            Remote.Engine = Engine;
            await Engine.StartAsync(CancellationToken.None);
        }
    }

    /// <summary>A transport in this process, with shards that can be marked down.</summary>
    private sealed class InProcessShards(int nodes) : IRemoteShards
    {
        private readonly ConcurrentDictionary<(string, int), Task<ShardReplica>> _replicas = new();
        private int _searches;

        public RetrievalEngine Engine { get; set; } = null!;

        public ConcurrentBag<int> Down { get; } = [];

        public ConcurrentQueue<(string Collection, int Replicas, long Sequence, int[] Shards)> Notices { get; } = new();

        public int Searches => _searches;

        public int NodeCount => nodes;

        public async Task<RemoteShardAnswers> SearchAsync(
            string collection, int replicas, IReadOnlyList<ShardSearchRequest> requests, bool allowPartial, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _searches);
            var responses = new Dictionary<int, ShardSearchResponse>();
            var missing = new List<int>();
            foreach (var request in requests)
            {
                if (Down.Contains(request.Shard))
                {
                    missing.Add(request.Shard);
                    continue;
                }

                var replica = await _replicas.GetOrAdd((collection, request.Shard), key => Engine.ShardReplicas!.OpenAsync(key.Item1, key.Item2, CancellationToken.None));
                var answer = await replica.SearchAsync(ShardSearchCodec.ReadRequest(ShardSearchCodec.Write(request)), cancellationToken);
                responses[request.Shard] = ShardSearchCodec.ReadResponse(ShardSearchCodec.Write(answer));
            }

            if (missing.Count > 0 && !allowPartial)
            {
                throw RetrievalException.Unavailable($"no replica of shard {string.Join(", ", missing)}");
            }

            return new RemoteShardAnswers(responses, missing);
        }

        public void Committed(string collection, int replicas, long sequence, IReadOnlyCollection<int> shards) =>
            Notices.Enqueue((collection, replicas, sequence, [.. shards]));

        public async Task CloseAsync()
        {
            foreach (var replica in _replicas.Values)
            {
                (await replica).Dispose();
            }

            _replicas.Clear();
        }
    }
}
