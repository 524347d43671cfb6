using System.Net;
using System.Text.Json;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>POST/GET /v1/aliases (Collections.UpdateAliases/ListAliases), and aliases in collection paths and fields.</summary>
public abstract class AliasesApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private InProcessServer Server => fixture.Server;

    [SkippableFact]
    public async Task Aliases_ViaRest_CreateSwitchAndResolveInPathsAndFields()
    {
        var blue = await TestCollections.CreateAsync(Server, "blue", dimension: 2);
        var green = await TestCollections.CreateAsync(Server, "green", dimension: 2);
        await TestCollections.UpsertAsync(Server, blue, "v1", [("b1", [1, 0])]);
        await TestCollections.UpsertAsync(Server, green, "v1", [("g1", [1, 0])]);
        var alias = TestNames.Unique("prod");

        using var created = await Server.PostJsonAsync("/v1/aliases", $$$"""{"actions":[{"create":{"alias":"{{{alias}}}","collection":"{{{blue}}}"}}]}""");
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal("b1", await SearchTopAsync(alias));

        // The path and a body field both take the alias.
        using var get = await Server.Rest.GetAsync(new Uri($"/v1/collections/{alias}", UriKind.Relative));
        using var collection = JsonDocument.Parse(await get.Content.ReadAsStringAsync());
        Assert.Equal(blue, collection.RootElement.GetProperty("name").GetString());
        Assert.Equal([alias], collection.RootElement.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        var count = await Server.Items.CountItemsAsync(new CountItemsRequest { Collection = alias });
        Assert.Equal(1, count.Count);

        using var switched = await Server.PostJsonAsync("/v1/aliases", $$$"""{"actions":[{"switch":{"alias":"{{{alias}}}","collection":"{{{green}}}"}}]}""");
        Assert.Equal(HttpStatusCode.OK, switched.StatusCode);
        Assert.Equal("g1", await SearchTopAsync(alias));
        var listed = await Server.Collections.ListAliasesAsync(new ListAliasesRequest());
        Assert.Contains(listed.Aliases, a => a.Name == alias && a.Collection == green);
        using var rest = await Server.Rest.GetAsync(new Uri("/v1/aliases", UriKind.Relative));
        Assert.Contains(alias, await rest.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Deleting a collection that has aliases is refused; nothing changes.
        var refused = await Assert.ThrowsAsync<RpcException>(() => Server.Collections.DeleteCollectionAsync(new DeleteCollectionRequest { Name = green }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains(alias, refused.Status.Detail, StringComparison.Ordinal);

        using var deleted = await Server.PostJsonAsync("/v1/aliases", $$$"""{"actions":[{"delete":{"alias":"{{{alias}}}"}}]}""");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        await Server.Collections.DeleteCollectionAsync(new DeleteCollectionRequest { Name = green });
    }

    [SkippableFact]
    public async Task UpdateAliases_FailingAction_ChangesNothingAndNamesTheAction()
    {
        var blue = await TestCollections.CreateAsync(Server, "blue", dimension: 2);
        var alias = TestNames.Unique("a");
        var request = new UpdateAliasesRequest
        {
            Actions =
            {
                new AliasAction { Create = new CreateAliasAction { Alias = alias, Collection = blue } },
                new AliasAction { Create = new CreateAliasAction { Alias = blue, Collection = blue } },
            },
        };
        var error = await Assert.ThrowsAsync<RpcException>(() => Server.Collections.UpdateAliasesAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Contains("actions[1].create.alias", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain((await Server.Collections.ListAliasesAsync(new ListAliasesRequest())).Aliases, a => a.Name == alias);

        using var empty = await Server.PostJsonAsync("/v1/aliases", """{"actions":[{}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("actions[0]", await empty.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<string> SearchTopAsync(string collection)
    {
        var response = await Server.Search.SearchAsync(new SearchRequest { Collection = collection, Vector = new Vector { Values = { 1, 0 } }, K = 1 });
        return response.Hits[0].Id;
    }
}

public sealed class SqliteAliasesApiTests(SqliteServerFixture fixture) : AliasesApiTests<SqliteServerFixture>(fixture);

public sealed class PostgresAliasesApiTests(PostgresServerFixture fixture) : AliasesApiTests<PostgresServerFixture>(fixture);
