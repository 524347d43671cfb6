using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Storage;
using Retrieval.Engine.Cluster;
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
            new ShardQuery("w", [], 1, null, 0, 0, false, false, true) { Tokens = [1, 2, 3, 4], TokenDimension = 2, Candidates = 30 }]);
        var read = ShardSearchCodec.ReadRequest(ShardSearchCodec.Write(request));
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

    private static FilterCondition Condition(string key, string value) => new(key, [key], new MatchCondition([ScalarValue.Of(value)]), null);

    private static float[] Vector(Random random) => [.. Enumerable.Range(0, Dimension).Select(_ => (float)(random.NextDouble() * 2 - 1))];

    private static async Task FillAsync(RetrievalEngine engine)
    {
        var random = new Random(11);
        string[] colors = ["red", "blue", "green"];
        var items = Enumerable.Range(0, 300)
            .Select(i => Item($"i{i:D3}", "v", Vector(random), $$"""{"color":"{{colors[i % 3]}}","n":{{i}}}"""))
            .ToList();
        foreach (var chunk in items.Chunk(70))
        {
            await engine.UpsertAsync("c", chunk, CancellationToken.None);
        }

        await engine.DeleteAsync("c", ["i010", "i020", "i030"], CancellationToken.None);
    }

    private static void AssertSame(SearchResult expected, SearchResult actual, string space = "v")
    {
        Assert.Empty(actual.MissingShards);
        Assert.Equal(expected.MapsUsed, actual.MapsUsed);
        Assert.NotEmpty(expected.Hits);
        Assert.Equal(expected.Hits.Select(h => (h.Id, h.Score, h.PayloadJson)), actual.Hits.Select(h => (h.Id, h.Score, h.PayloadJson)));
        Assert.Equal(expected.Hits.Select(h => h.Vectors?[space]), actual.Hits.Select(h => h.Vectors?[space]));
    }

    /// <summary>An engine whose shards are "remote": served by replicas it hosts, reached through bytes.</summary>
    private sealed class RoutedEngine : IAsyncDisposable
    {
        private readonly string _directory;

        private RoutedEngine(string directory, InProcessShards remote)
        {
            _directory = directory;
            Remote = remote;
        }

        public InProcessShards Remote { get; }

        public RetrievalEngine Engine { get; private set; } = null!;

        public static async Task<RoutedEngine> StartAsync(int nodes)
        {
            var routed = new RoutedEngine(Path.Combine(Path.GetTempPath(), "retrieval-engine-tests", Guid.NewGuid().ToString("N")), new InProcessShards(nodes));
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
            Engine = new RetrievalEngine(new SqliteRetrievalStore(_directory), new EngineOptions(), NullLogger<RetrievalEngine>.Instance, remoteShards: Remote);
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
