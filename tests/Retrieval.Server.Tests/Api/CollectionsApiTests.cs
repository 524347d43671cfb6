using System.Net;
using System.Text.Json;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

public abstract class CollectionsApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private InProcessServer Server => fixture.Server;

    [SkippableFact]
    public async Task CreateCollection_ViaRest_IsVisibleOverGrpcWithSpacesAndDefault()
    {
        var name = TestNames.Unique("create");
        using var response = await Server.PostJsonAsync("/v1/collections",
            "{\"name\":\"" + name + "\"," + """ "spaces":[{"name":"v1","dimension":128,"metric":"METRIC_INNER_PRODUCT","model":{"name":"m","version":"1"}},{"name":"v2","dimension":64,"metric":"METRIC_COSINE","model":{"name":"m","version":"2"}}]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("v1", created.RootElement.GetProperty("defaultSpace").GetString());

        var collection = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name });
        Assert.Equal(["v1", "v2"], collection.Spaces.Select(s => s.Name));
        Assert.Equal(Metric.Cosine, collection.Spaces[1].Metric);
        Assert.Equal(64, collection.Spaces[1].Dimension);
        Assert.Equal("2", collection.Spaces[1].Model.Version);
        Assert.Equal(0, collection.ItemCount);
    }

    [SkippableFact]
    public async Task GetCollection_ViaRest_IncludesItemCount()
    {
        var name = await TestCollections.CreateAsync(Server, "count", dimension: 2);
        await TestCollections.UpsertAsync(Server, name, "v1", [("a", [1, 0]), ("b", [0, 1])]);
        using var response = await Server.Rest.GetAsync(new Uri($"/v1/collections/{name}", UriKind.Relative));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        // int64 travels as a JSON number (ASP.NET Core transcoding default; see docs/api.md).
        Assert.Equal(2, json.RootElement.GetProperty("itemCount").GetInt64());
    }

    [SkippableFact]
    public async Task ListCollections_IncludesCreatedCollection()
    {
        var name = await TestCollections.CreateAsync(Server, "list");
        var list = await Server.Collections.ListCollectionsAsync(new ListCollectionsRequest());
        Assert.Contains(list.Collections, c => c.Name == name);
        using var response = await Server.Rest.GetAsync(new Uri("/v1/collections", UriKind.Relative));
        Assert.Contains(name, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task AddSpace_ThenDeleteSpace_ChangesTheLiveCollection()
    {
        var name = await TestCollections.CreateAsync(Server, "spaces");
        using (var added = await Server.PostJsonAsync($"/v1/collections/{name}/spaces",
            """{"name":"v2","dimension":8,"metric":"METRIC_L2","model":{"name":"m","version":"2"}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        }

        await TestCollections.UpsertAsync(Server, name, "v2", [("a", [1, 2, 3, 4, 5, 6, 7, 8])]);
        using (var deleted = await Server.Rest.DeleteAsync(new Uri($"/v1/collections/{name}/spaces/v2", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        var collection = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name });
        Assert.Equal(["v1"], collection.Spaces.Select(s => s.Name));
        var items = await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { "a" }, WithVectors = true });
        Assert.Empty(items.Items.Single().Vectors);
    }

    [SkippableFact]
    public async Task DeleteSpace_DefaultSpace_IsRefusedWithFailedPrecondition()
    {
        var name = await TestCollections.CreateAsync(Server, "nodefaultdelete");
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Server.Collections.DeleteSpaceAsync(new DeleteSpaceRequest { Collection = name, Space = "v1" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("default space", error.Status.Detail, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task SetDefaultSpace_SearchWithoutSpace_UsesTheNewDefault()
    {
        var name = await TestCollections.CreateAsync(Server, "default", dimension: 2);
        await Server.Collections.AddSpaceAsync(new AddSpaceRequest
        {
            Collection = name,
            Space = new Space { Name = "v2", Dimension = 3, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "2" } },
        });
        await TestCollections.UpsertAsync(Server, name, "v2", [("a", [1, 0, 0])]);
        using var set = await Server.PostJsonAsync($"/v1/collections/{name}:setDefaultSpace", """{"space":"v2"}""");
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);

        var result = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Vector = new Vector { Values = { 1, 0, 0 } }, K = 1 });
        Assert.Equal("a", result.Hits.Single().Id);
    }

    [SkippableFact]
    public async Task DeleteCollection_RemovesIt_AndNameCanBeReused()
    {
        var name = await TestCollections.CreateAsync(Server, "delete", dimension: 2);
        await TestCollections.UpsertAsync(Server, name, "v1", [("a", [1, 0])]);
        using (var deleted = await Server.Rest.DeleteAsync(new Uri($"/v1/collections/{name}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        using (var missing = await Server.Rest.GetAsync(new Uri($"/v1/collections/{name}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        await TestCollections.CreateAsync(Server, name, dimension: 2, exactName: true);
        var recreated = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name });
        Assert.Equal(0, recreated.ItemCount);
    }
}

public sealed class SqliteCollectionsApiTests(SqliteServerFixture fixture) : CollectionsApiTests<SqliteServerFixture>(fixture);

public sealed class PostgresCollectionsApiTests(PostgresServerFixture fixture) : CollectionsApiTests<PostgresServerFixture>(fixture);
