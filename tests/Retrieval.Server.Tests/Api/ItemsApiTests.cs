using System.Net;
using System.Text.Json;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

public abstract class ItemsApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private InProcessServer Server => fixture.Server;

    [SkippableFact]
    public async Task Upsert_NamingOneSpace_KeepsOtherSpacesAndPayload()
    {
        var name = await TestCollections.CreateAsync(Server, "merge", dimension: 2);
        await Server.Collections.AddSpaceAsync(new AddSpaceRequest
        {
            Collection = name,
            Space = new Space { Name = "v2", Dimension = 3, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "2" } },
        });
        using (var first = await Server.PostJsonAsync($"/v1/collections/{name}/items:upsert",
            """{"items":[{"id":"a","payload":{"color":"red","year":2020},"vectors":{"v1":{"values":[0.5,0.25]}}}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using (var second = await Server.PostJsonAsync($"/v1/collections/{name}/items:upsert",
            """{"items":[{"id":"a","vectors":{"v2":{"values":[1,2,3]}}}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        using var got = await Server.PostJsonAsync($"/v1/collections/{name}/items:get", """{"ids":["a"],"withVectors":true}""");
        using var json = JsonDocument.Parse(await got.Content.ReadAsStringAsync());
        var item = json.RootElement.GetProperty("items")[0];
        Assert.Equal("red", item.GetProperty("payload").GetProperty("color").GetString());
        Assert.Equal(2020, item.GetProperty("payload").GetProperty("year").GetDouble());
        Assert.Equal([0.5f, 0.25f], item.GetProperty("vectors").GetProperty("v1").GetProperty("values").EnumerateArray().Select(v => v.GetSingle()));
        Assert.Equal([1f, 2f, 3f], item.GetProperty("vectors").GetProperty("v2").GetProperty("values").EnumerateArray().Select(v => v.GetSingle()));

        using (var third = await Server.PostJsonAsync($"/v1/collections/{name}/items:upsert", """{"items":[{"id":"a","payload":{"color":"blue"}}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        }

        var after = await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { "a" }, WithVectors = true });
        Assert.Equal("blue", after.Items[0].Payload.Fields["color"].StringValue);
        Assert.False(after.Items[0].Payload.Fields.ContainsKey("year"));
        Assert.Equal(2, after.Items[0].Vectors.Count);
    }

    [SkippableFact]
    public async Task GetItems_UnknownIds_AreLeftOutAndOrderFollowsRequest()
    {
        var name = await TestCollections.CreateAsync(Server, "get", dimension: 2);
        await TestCollections.UpsertAsync(Server, name, "v1", [("a", [1, 0]), ("b", [0, 1])]);
        var got = await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { "b", "zzz", "a" } });
        Assert.Equal(["b", "a"], got.Items.Select(i => i.Id));
        Assert.All(got.Items, i => Assert.Empty(i.Vectors));
    }

    [SkippableFact]
    public async Task ScrollItems_WithFilter_PagesEveryMatchOnceInIdOrder()
    {
        var name = await TestCollections.CreateAsync(Server, "scroll", dimension: 2);
        var ids = Enumerable.Range(0, 57).Select(i => $"item-{i:D3}").ToList();
        await TestCollections.UpsertAsync(Server, name, "v1", ids.Select(id => (id, new float[] { 1, 0 })),
            id => $$"""{"even":{{(int.Parse(id[5..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 0 ? "true" : "false")}}}""");

        var seen = new List<string>();
        var cursor = "";
        do
        {
            using var response = await Server.PostJsonAsync($"/v1/collections/{name}/items:scroll",
                """{"filter":{"must":[{"key":"even","match":{"value":true}}]},"limit":10,""" + "\"cursor\":\"" + cursor + "\"}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            seen.AddRange(json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!));
            cursor = json.RootElement.TryGetProperty("nextCursor", out var next) ? next.GetString() ?? "" : "";
        }
        while (cursor.Length > 0);

        Assert.Equal(ids.Where((_, i) => i % 2 == 0), seen);
    }

    [SkippableFact]
    public async Task CountItems_WithAndWithoutFilter()
    {
        var name = await TestCollections.CreateAsync(Server, "count", dimension: 2);
        await TestCollections.UpsertAsync(Server, name, "v1", Enumerable.Range(0, 10).Select(i => ($"i{i}", new float[] { i, 1 })),
            id => $$"""{"year":{{2000 + int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture)}}}""");
        Assert.Equal(10, (await Server.Items.CountItemsAsync(new CountItemsRequest { Collection = name })).Count);
        using var response = await Server.PostJsonAsync($"/v1/collections/{name}/items:count", """{"filter":{"must":[{"key":"year","range":{"gte":2003,"lt":2007}}]}}""");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(4, json.RootElement.GetProperty("count").GetInt64());
    }

    [SkippableFact]
    public async Task DeleteItems_ByIdsAndByFilter_RemovesFromReadsAndSearch()
    {
        var name = await TestCollections.CreateAsync(Server, "delete", dimension: 2);
        await TestCollections.UpsertAsync(Server, name, "v1", [("a", [1, 0]), ("b", [0.9f, 0]), ("c", [0.8f, 0]), ("d", [0.7f, 0])],
            id => id is "c" or "d" ? """{"tag":"old"}""" : """{"tag":"new"}""");
        using (var byIds = await Server.PostJsonAsync($"/v1/collections/{name}/items:delete", """{"ids":["a","nope"]}"""))
        {
            using var json = JsonDocument.Parse(await byIds.Content.ReadAsStringAsync());
            Assert.Equal(1, json.RootElement.GetProperty("deleted").GetInt64());
        }

        var byFilter = await Server.Items.DeleteItemsAsync(new DeleteItemsRequest
        {
            Collection = name,
            Filter = new Filter { Must = { new Condition { Key = "tag", Match = new Match { Value = Google.Protobuf.WellKnownTypes.Value.ForString("old") } } } },
        });
        Assert.Equal(2, byFilter.Deleted);
        var hits = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Vector = new Vector { Values = { 1, 0 } }, K = 10 });
        Assert.Equal(["b"], hits.Hits.Select(h => h.Id));
    }

    [SkippableFact]
    public async Task StreamUpsertItems_AnswersEachBatchAfterCommit()
    {
        var name = await TestCollections.CreateAsync(Server, "stream", dimension: 4);
        using var call = Server.Items.StreamUpsertItems();
        var vectors = Vectors.Random(300, 4, seed: 7);
        for (var batch = 0; batch < 3; batch++)
        {
            var request = new UpsertItemsRequest { Collection = name };
            for (var i = batch * 100; i < (batch + 1) * 100; i++)
            {
                request.Items.Add(new Item { Id = $"s{i}", Vectors = { ["v1"] = new Vector { Values = { vectors[i] } } } });
            }

            await call.RequestStream.WriteAsync(request);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(100, call.ResponseStream.Current.Upserted);
            // Acknowledged means visible: read-your-writes.
            Assert.Equal((batch + 1) * 100, (await Server.Items.CountItemsAsync(new CountItemsRequest { Collection = name })).Count);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
    }

    [SkippableFact]
    public async Task StreamUpsertItems_BadBatch_EndsCallWithErrorAndKeepsEarlierBatches()
    {
        var name = await TestCollections.CreateAsync(Server, "streambad", dimension: 2);
        using var call = Server.Items.StreamUpsertItems();
        await call.RequestStream.WriteAsync(new UpsertItemsRequest { Collection = name, Items = { new Item { Id = "ok", Vectors = { ["v1"] = new Vector { Values = { 1, 2 } } } } } });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        await call.RequestStream.WriteAsync(new UpsertItemsRequest { Collection = name, Items = { new Item { Id = "bad", Vectors = { ["v1"] = new Vector { Values = { 1 } } } } } });
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(1, (await Server.Items.CountItemsAsync(new CountItemsRequest { Collection = name })).Count);
    }

    [SkippableFact]
    public async Task StreamUpsertItems_PipelinedBatches_AreAnsweredInOrder_AndNoneAfterABadOneIsWritten()
    {
        var name = await TestCollections.CreateAsync(Server, "streampipe", dimension: 2);
        using var call = Server.Items.StreamUpsertItems();
        UpsertItemsRequest Batch(string prefix, int count, int dimension) => new()
        {
            Collection = name,
            Items = { Enumerable.Range(0, count).Select(i => new Item { Id = $"{prefix}{i}", Vectors = { ["v1"] = new Vector { Values = { Enumerable.Repeat(1f, dimension) } } } }) },
        };

        // Sent without waiting for answers: the server takes them together, and they may share commits.
        await call.RequestStream.WriteAsync(Batch("a", 30, 2));
        await call.RequestStream.WriteAsync(Batch("b", 20, 2));
        await call.RequestStream.WriteAsync(Batch("bad", 1, 3));
        await call.RequestStream.WriteAsync(Batch("c", 10, 2));
        await call.RequestStream.WriteAsync(Batch("d", 10, 2));

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var first = call.ResponseStream.Current;
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var second = call.ResponseStream.Current;
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal((30L, 20L), (first.Upserted, second.Upserted));
        Assert.True(second.Sequence > first.Sequence);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(50, (await Server.Items.CountItemsAsync(new CountItemsRequest { Collection = name })).Count);
    }
}

public sealed class SqliteItemsApiTests(SqliteServerFixture fixture) : ItemsApiTests<SqliteServerFixture>(fixture);

public sealed class PostgresItemsApiTests(PostgresServerFixture fixture) : ItemsApiTests<PostgresServerFixture>(fixture);
