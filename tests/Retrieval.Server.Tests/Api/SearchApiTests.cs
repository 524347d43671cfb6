using System.Net;
using System.Text.Json;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

public abstract class SearchApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private InProcessServer Server => fixture.Server;

    [SkippableTheory]
    [InlineData(Metric.InnerProduct)]
    [InlineData(Metric.Cosine)]
    [InlineData(Metric.L2)]
    public async Task Search_EachMetric_MatchesNaiveRankingAndScores(Metric metric)
    {
        const int dimension = 16;
        var name = await TestCollections.CreateAsync(Server, "metric", dimension, metric);
        var items = Vectors.Random(500, dimension, seed: (int)metric);
        await TestCollections.UpsertAsync(Server, name, "v1", items.Select((v, i) => ($"i{i}", v)));
        var query = Vectors.Random(1, dimension, seed: 99)[0];

        var expected = items.Select((v, i) => (Id: $"i{i}", Score: NaiveScore(metric, query, v)))
            .OrderByDescending(x => x.Score).Take(10).ToList();
        var result = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Vector = new Vector { Values = { query } }, K = 10 });

        Assert.Equal(expected.Select(e => e.Id), result.Hits.Select(h => h.Id));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Score, result.Hits[i].Score, 1e-3);
        }
    }

    [SkippableFact]
    public async Task Search_ViaRest_ReturnsHitsBestFirstWithPayload()
    {
        var name = await TestCollections.CreateAsync(Server, "rest", dimension: 2);
        await TestCollections.UpsertAsync(Server, name, "v1", [("a", [1, 0]), ("b", [0.5f, 0]), ("c", [-1, 0])], id => $$"""{"name":"{{id}}"}""");
        using var response = await Server.PostJsonAsync($"/v1/collections/{name}:search", """{"space":"v1","vector":{"values":[1,0]},"k":2,"withPayload":true}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var hits = json.RootElement.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(["a", "b"], hits.Select(h => h.GetProperty("id").GetString()));
        Assert.Equal(1.0, hits[0].GetProperty("score").GetDouble(), 1e-6);
        Assert.Equal("a", hits[0].GetProperty("payload").GetProperty("name").GetString());
    }

    [SkippableFact]
    public async Task Search_WithFilterGrammar_ReturnsOnlyMatchingItems()
    {
        var name = await TestCollections.CreateAsync(Server, "filter", dimension: 2);
        var colors = new[] { "red", "green", "blue" };
        await TestCollections.UpsertAsync(Server, name, "v1", Enumerable.Range(0, 60).Select(i => ($"i{i}", new float[] { i, 1 })),
            id =>
            {
                var i = int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture);
                return $$"""{"color":"{{colors[i % 3]}}","year":{{1990 + i}},"tag":["t{{i % 4}}","all"]}""";
            });
        var body = """
            {"vector":{"values":[1,0]},"k":100,"withPayload":true,
             "filter":{"must":[{"key":"color","match":{"value":"red"}},{"key":"tag","match":{"any":["t0","t2"]}},{"key":"year","range":{"gte":2000,"lt":2030}}],
                       "mustNot":[{"key":"year","match":{"value":2016}}]}}
            """;
        using var response = await Server.PostJsonAsync($"/v1/collections/{name}:search", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var ids = json.RootElement.GetProperty("hits").EnumerateArray().Select(h => int.Parse(h.GetProperty("id").GetString()![1..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var expected = Enumerable.Range(0, 60)
            .Where(i => i % 3 == 0 && i % 2 == 0 && 1990 + i >= 2000 && 1990 + i < 2030 && 1990 + i != 2016)
            .OrderByDescending(i => i).ToList();
        Assert.Equal(expected, ids);
    }

    [SkippableFact]
    public async Task Search_ScoreThresholdAndOffset_PageAndCutTheRanking()
    {
        var name = await TestCollections.CreateAsync(Server, "page", dimension: 1);
        await TestCollections.UpsertAsync(Server, name, "v1", Enumerable.Range(1, 10).Select(i => ($"i{i}", new float[] { i })));
        var paged = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Vector = new Vector { Values = { 1 } }, K = 3, Offset = 2 });
        Assert.Equal(["i8", "i7", "i6"], paged.Hits.Select(h => h.Id));
        var cut = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Vector = new Vector { Values = { 1 } }, K = 10, ScoreThreshold = 7.5f });
        Assert.Equal(["i10", "i9", "i8"], cut.Hits.Select(h => h.Id));
    }

    [SkippableFact]
    public async Task SearchBatch_EqualsSingleSearchesInOrder()
    {
        const int dimension = 8;
        var name = await TestCollections.CreateAsync(Server, "batch", dimension);
        await TestCollections.UpsertAsync(Server, name, "v1", Vectors.Random(300, dimension, seed: 3).Select((v, i) => ($"i{i}", v)));
        var queries = Vectors.Random(12, dimension, seed: 4);
        var batch = new SearchBatchRequest { Collection = name };
        batch.Searches.Add(queries.Select((q, i) => new SearchRequest { Vector = new Vector { Values = { q } }, K = 5 + (i % 2) }));
        var batched = await Server.Search.SearchBatchAsync(batch);
        Assert.Equal(queries.Length, batched.Results.Count);
        for (var i = 0; i < queries.Length; i++)
        {
            var single = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Vector = new Vector { Values = { queries[i] } }, K = 5 + (i % 2) });
            Assert.Equal(single.Hits.Select(h => h.Id), batched.Results[i].Hits.Select(h => h.Id));
        }
    }

    [SkippableFact]
    public async Task Search_ByItemId_ViaRestAndGrpc_UsesTheStoredVectorAndLeavesTheItemOut()
    {
        var name = await TestCollections.CreateAsync(Server, "byitem", dimension: 1);
        await TestCollections.UpsertAsync(Server, name, "v1", Enumerable.Range(1, 6).Select(i => ($"i{i}", new float[] { i })));
        var grpc = await Server.Search.SearchAsync(new SearchRequest { Collection = name, ItemId = "i6", K = 2 });
        Assert.Equal(["i5", "i4"], grpc.Hits.Select(h => h.Id));
        using var response = await Server.PostJsonAsync($"/v1/collections/{name}:search", """{"itemId":"i6","space":"v1","k":2}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(["i5", "i4"], json.RootElement.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("id").GetString()));

        var missing = await Assert.ThrowsAsync<RpcException>(() => Server.Search.SearchAsync(new SearchRequest { Collection = name, ItemId = "nope", K = 2 }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains("itemId 'nope'", missing.Status.Detail, StringComparison.Ordinal);
        using var both = await Server.PostJsonAsync($"/v1/collections/{name}:search", """{"itemId":"i6","vector":{"values":[1]},"k":2}""");
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Contains("itemId", await both.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Search_GroupBy_ViaRestAndGrpc_AnswersGroups()
    {
        var name = await TestCollections.CreateAsync(Server, "groups", dimension: 1);
        // i1..i9 score i under inner product with [1]; first each item is its own group (a number key) ...
        await TestCollections.UpsertAsync(Server, name, "v1", Enumerable.Range(1, 9).Select(i => ($"i{i}", new float[] { i })), id => $$"""{"g":{{id[1..]}}}""");
        var request = new SearchRequest { Collection = name, Vector = new Vector { Values = { 1 } }, K = 2, GroupBy = "g", GroupSize = 2 };
        var grpc = await Server.Search.SearchAsync(request);
        Assert.Empty(grpc.Hits);
        Assert.Equal(2, grpc.Groups.Count);
        Assert.Equal(9, grpc.Groups[0].Key.NumberValue);
        Assert.Equal(["i9"], grpc.Groups[0].Hits.Select(h => h.Id));
        Assert.Equal(8, grpc.Groups[1].Key.NumberValue);

        // ... then the groups are "m" + i % 3 (a string key).
        await TestCollections.UpsertAsync(Server, name, "v1", Enumerable.Range(1, 9).Select(i => ($"i{i}", new float[] { i })), id => $$"""{"g":"m{{int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture) % 3}}"}""");
        using var response = await Server.PostJsonAsync($"/v1/collections/{name}:search", """{"vector":{"values":[1]},"k":2,"groupBy":"g","groupSize":2}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var groups = json.RootElement.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(["m0", "m2"], groups.Select(g => g.GetProperty("key").GetString()));
        Assert.Equal(["i9", "i6"], groups[0].GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("id").GetString()));
        Assert.Equal(["i8", "i5"], groups[1].GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("id").GetString()));

        using var paged = await Server.PostJsonAsync($"/v1/collections/{name}:search", """{"vector":{"values":[1]},"k":2,"offset":1,"groupBy":"g"}""");
        Assert.Equal(HttpStatusCode.BadRequest, paged.StatusCode);
        Assert.Contains("offset", await paged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static float NaiveScore(Metric metric, float[] q, float[] x)
    {
        double dot = 0, qq = 0, xx = 0, l2 = 0;
        for (var i = 0; i < q.Length; i++)
        {
            dot += q[i] * x[i];
            qq += q[i] * q[i];
            xx += x[i] * x[i];
            l2 += (q[i] - x[i]) * (q[i] - x[i]);
        }

        return metric switch
        {
            Metric.Cosine => (float)(dot / Math.Sqrt(qq * xx)),
            Metric.L2 => (float)-l2,
            _ => (float)dot,
        };
    }
}

public sealed class SqliteSearchApiTests(SqliteServerFixture fixture) : SearchApiTests<SqliteServerFixture>(fixture);

public sealed class PostgresSearchApiTests(PostgresServerFixture fixture) : SearchApiTests<PostgresServerFixture>(fixture);
