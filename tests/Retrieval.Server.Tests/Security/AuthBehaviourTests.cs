using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Retrieval.Contracts.V1;
using Retrieval.Server.Hosting;
using Retrieval.Server.Security;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Security;

/// <summary>Key lifecycle, the two ways to present a key, collection-limited lists, the audit trail and what never reaches a log.</summary>
public sealed class AuthBehaviourTests(SecuredServerFixture fixture) : IClassFixture<SecuredServerFixture>
{
    private Keys.KeysClient KeysClient => new(fixture.Server.Channel);

    [Fact]
    public async Task Key_CreateRotateRevoke_WorksThenStopsWorking()
    {
        var key = await fixture.CreateKeyAsync("lifecycle", KeyScope.Read, []);
        var id = key.Substring(4, 12);
        await AssertCountsAsync(key);

        var rotated = await KeysClient.RotateKeyAsync(new RotateKeyRequest { Id = id }, SecuredServerFixture.Auth(fixture.Admin));
        fixture.RememberSecret(rotated.Secret);
        Assert.Equal("lifecycle", rotated.Key.Name);
        Assert.Equal(KeyScope.Read, rotated.Key.Scope);
        await AssertRefusedAsync(key, StatusCode.Unauthenticated);
        await AssertCountsAsync(rotated.Secret);

        var revoked = await KeysClient.RevokeKeyAsync(new RevokeKeyRequest { Id = rotated.Key.Id }, SecuredServerFixture.Auth(fixture.Admin));
        Assert.False(revoked.Active);
        await AssertRefusedAsync(rotated.Secret, StatusCode.Unauthenticated);
    }

    [Fact]
    public async Task Rotate_WithGrace_KeepsTheOldKeyWorkingUntilThen()
    {
        var key = await fixture.CreateKeyAsync("graceful", KeyScope.Read, []);
        var rotated = await KeysClient.RotateKeyAsync(new RotateKeyRequest { Id = key.Substring(4, 12), GraceSeconds = 3600 }, SecuredServerFixture.Auth(fixture.Admin));
        fixture.RememberSecret(rotated.Secret);

        await AssertCountsAsync(key);
        await AssertCountsAsync(rotated.Secret);
    }

    [Fact]
    public async Task ListKeys_ShowsIdsAndScopes_NeverSecrets()
    {
        using var rest = fixture.Rest(fixture.Admin);
        var json = await rest.GetStringAsync(new Uri("/v1/keys", UriKind.Relative));

        Assert.Contains(fixture.Read.Substring(4, 12), json, StringComparison.Ordinal);
        Assert.Contains("KEY_SCOPE_READ", json, StringComparison.Ordinal);
        foreach (var secret in fixture.Secrets)
        {
            Assert.DoesNotContain(secret[17..], json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task CreateKey_OverRestWithBadScope_NamesTheField()
    {
        using var rest = fixture.Rest(fixture.Admin);
        using var response = await rest.PostAsync(new Uri("/v1/keys", UriKind.Relative), JsonContent.Create(new { name = "x" }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("scope", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKeyHeader_IsAcceptedLikeBearer_OnBothTransports()
    {
        var grpc = await fixture.Server.Items.CountItemsAsync(
            new CountItemsRequest { Collection = SecuredServerFixture.Victim }, new Metadata { { "api-key", fixture.Read } });
        using var rest = new HttpClient { BaseAddress = fixture.Server.Configuration.RestAddress };
        rest.DefaultRequestHeaders.Add("api-key", fixture.Read);
        using var response = await rest.PostAsync(new Uri($"/v1/collections/{SecuredServerFixture.Victim}/items:count", UriKind.Relative), JsonContent.Create(new { }));

        Assert.Equal(3, grpc.Count);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ListCollections_WithPatternKey_ShowsOnlyItsCollections()
    {
        using var rest = fixture.Rest(fixture.OtherAdmin);
        var json = await rest.GetStringAsync(new Uri("/v1/collections", UriKind.Relative));

        Assert.Contains(SecuredServerFixture.Other, json, StringComparison.Ordinal);
        Assert.DoesNotContain(SecuredServerFixture.Victim, json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PatternKey_MayCreateAndUseCollectionsItsPatternsAllow()
    {
        var collections = new Collections.CollectionsClient(fixture.Server.Channel);
        var auth = SecuredServerFixture.Auth(fixture.OtherAdmin);
        await collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = "other-created",
            Spaces = { new Space { Name = "v1", Dimension = 2, Metric = Metric.Cosine, Model = new ModelRef { Name = "m", Version = "1" } } },
        }, auth);

        var denied = await Assert.ThrowsAsync<RpcException>(() => collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = "victim-2",
            Spaces = { new Space { Name = "v1", Dimension = 2, Metric = Metric.Cosine, Model = new ModelRef { Name = "m", Version = "1" } } },
        }, auth).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [Fact]
    public async Task PatternKey_CannotReachAnotherCollectionThroughAnAlias_AndCannotChangeAliases()
    {
        var collections = new Collections.CollectionsClient(fixture.Server.Channel);
        var alias = new UpdateAliasesRequest { Actions = { new AliasAction { Create = new CreateAliasAction { Alias = "other-alias", Collection = SecuredServerFixture.Victim } } } };
        var notGlobal = await Assert.ThrowsAsync<RpcException>(() => collections.UpdateAliasesAsync(alias, SecuredServerFixture.Auth(fixture.OtherAdmin)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, notGlobal.StatusCode);

        // The alias's name matches the key's pattern "other*", but it resolves to the victim's collection.
        await collections.UpdateAliasesAsync(alias, SecuredServerFixture.Auth(fixture.Admin));
        try
        {
            var denied = await Assert.ThrowsAsync<RpcException>(() => new Items.ItemsClient(fixture.Server.Channel)
                .CountItemsAsync(new CountItemsRequest { Collection = "other-alias" }, SecuredServerFixture.Auth(fixture.OtherAdmin)).ResponseAsync);
            Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
            var count = await new Items.ItemsClient(fixture.Server.Channel)
                .CountItemsAsync(new CountItemsRequest { Collection = "other-alias" }, SecuredServerFixture.Auth(fixture.Admin));
            Assert.True(count.Count >= 0);
        }
        finally
        {
            await collections.UpdateAliasesAsync(
                new UpdateAliasesRequest { Actions = { new AliasAction { Delete = new DeleteAliasAction { Alias = "other-alias" } } } }, SecuredServerFixture.Auth(fixture.Admin));
        }
    }

    [Fact]
    public async Task MigrationActor_IsTheCallerNotWhatTheClientClaims()
    {
        var collections = new Collections.CollectionsClient(fixture.Server.Channel);
        var admin = SecuredServerFixture.Auth(fixture.Admin);
        await collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = "actor-check",
            Spaces =
            {
                new Space { Name = "old", Dimension = 2, Metric = Metric.Cosine, Model = new ModelRef { Name = "m", Version = "1" } },
                new Space { Name = "new", Dimension = 2, Metric = Metric.Cosine, Model = new ModelRef { Name = "m", Version = "2" } },
            },
        }, admin);

        await fixture.Server.Migrations.PlanMigrationAsync(new PlanMigrationRequest { Collection = "actor-check", Id = "m1", ToSpace = "new", Actor = "mallory" }, admin);
        var migration = await fixture.Server.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = "actor-check", Id = "m1" }, admin);

        var adminId = fixture.Admin.Substring(4, 12);
        Assert.Contains(adminId, migration.ChangedBy, StringComparison.Ordinal);
        Assert.All(migration.Events, e => Assert.Contains(adminId, e.Actor, StringComparison.Ordinal));
        Assert.DoesNotContain("mallory", migration.ChangedBy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_StaysOpenWithoutAKey()
    {
        using var rest = fixture.Rest(null);
        using var healthz = await rest.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var readyz = await rest.GetAsync(new Uri("/readyz", UriKind.Relative));
        var grpc = await new global::Grpc.Health.V1.Health.HealthClient(fixture.Server.Channel).CheckAsync(new global::Grpc.Health.V1.HealthCheckRequest());

        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readyz.StatusCode);
        Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, grpc.Status);
    }

    [Fact]
    public async Task Unauthenticated_RestAnswer_Is401WithBearerChallengeAndJsonError()
    {
        using var rest = fixture.Rest(null);
        using var response = await rest.GetAsync(new Uri("/v1/collections", UriKind.Relative));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal((int)StatusCode.Unauthenticated, body.RootElement.GetProperty("code").GetInt32());
    }

    [Fact]
    public void AuthOptions_ByDefault_AreOn()
    {
        Assert.True(new AuthOptions().Enabled);
        Assert.True(fixture.Server.Services.GetRequiredService<IOptions<AuthOptions>>().Value.Enabled);
    }

    [Fact]
    public async Task AuthDisabled_OnANonLoopbackAddress_RefusesToStartUnlessAllowed()
    {
        var configuration = new ServerConfiguration("sqlite", null);
        configuration.Extra["Kestrel:Endpoints:Rest:Url"] = $"http://0.0.0.0:{configuration.RestPort}";
        var refused = Assert.Throws<OptionsValidationException>(() => ServerExtensions.BuildRetrievalServer(configuration.ToArguments()).Services.GetRequiredService<IOptions<AuthOptions>>().Value);
        Assert.Contains("not loopback", refused.Message, StringComparison.Ordinal);

        configuration.Extra["Retrieval:Auth:AllowInsecure"] = "true";
        await using var server = await InProcessServer.StartAsync(configuration);
        Assert.False(server.Services.GetRequiredService<IOptions<AuthOptions>>().Value.Enabled);
        Directory.Delete(configuration.DataDirectory, recursive: true);
    }

    private async Task AssertCountsAsync(string key)
    {
        var count = await fixture.Server.Items.CountItemsAsync(new CountItemsRequest { Collection = SecuredServerFixture.Victim }, SecuredServerFixture.Auth(key));
        Assert.Equal(3, count.Count);
    }

    private async Task AssertRefusedAsync(string key, StatusCode expected)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => fixture.Server.Items.CountItemsAsync(
            new CountItemsRequest { Collection = SecuredServerFixture.Victim }, SecuredServerFixture.Auth(key)).ResponseAsync);
        Assert.Equal(expected, e.StatusCode);
    }
}
