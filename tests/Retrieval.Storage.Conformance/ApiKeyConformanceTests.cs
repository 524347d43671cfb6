using Retrieval.Core.Errors;
using Retrieval.Core.Security;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>The API-key role: create, read back every field, refuse duplicate ids, revoke keeping the earliest time.</summary>
public abstract class ApiKeyConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    private IApiKeyStore Keys => (IApiKeyStore)Store;

    [StoreFact]
    public async Task CreateApiKey_ThenReopenAndList_ReadsBackEveryField()
    {
        var key = NewKey(ApiKeyScope.Write, ["docs*", "shop"], expiresAt: TestData.CreatedAt.AddDays(90));
        await Keys.CreateApiKeyAsync(key, Ct);
        await ReopenAsync();

        var read = Assert.Single(await Keys.ListApiKeysAsync(Ct), k => k.Id == key.Id);
        Assert.Equal(key.Name, read.Name);
        Assert.Equal(key.Scope, read.Scope);
        Assert.Equal(key.Collections, read.Collections);
        Assert.Equal(key.Salt, read.Salt);
        Assert.Equal(key.Hash, read.Hash);
        Assert.Equal(key.CreatedAt, read.CreatedAt);
        Assert.Equal(key.CreatedBy, read.CreatedBy);
        Assert.Equal(key.ExpiresAt, read.ExpiresAt);
        Assert.Null(read.RevokedAt);
    }

    [StoreFact]
    public async Task CreateApiKey_DuplicateId_IsRefused()
    {
        var key = NewKey(ApiKeyScope.Read, [], expiresAt: null);
        await Keys.CreateApiKeyAsync(key, Ct);

        var duplicate = await Assert.ThrowsAsync<RetrievalException>(() => Keys.CreateApiKeyAsync(key with { Name = "other" }, Ct));

        Assert.Equal(ErrorKind.AlreadyExists, duplicate.Kind);
    }

    [StoreFact]
    public async Task RevokeApiKey_TwiceOrUnknown_KeepsTheEarliestTimeAndReportsUnknown()
    {
        var key = NewKey(ApiKeyScope.Admin, [], expiresAt: null);
        await Keys.CreateApiKeyAsync(key, Ct);
        var first = TestData.CreatedAt.AddHours(1);

        Assert.True(await Keys.RevokeApiKeyAsync(key.Id, first, Ct));
        Assert.True(await Keys.RevokeApiKeyAsync(key.Id, first.AddHours(1), Ct));
        Assert.False(await Keys.RevokeApiKeyAsync("000000000000", first, Ct));

        var read = Assert.Single(await Keys.ListApiKeysAsync(Ct), k => k.Id == key.Id);
        Assert.Equal(first, read.RevokedAt);
        Assert.False(read.IsActiveAt(first));
        Assert.True(read.IsActiveAt(first.AddTicks(-10)));
    }

    private static StoredApiKey NewKey(ApiKeyScope scope, IReadOnlyList<string> collections, DateTimeOffset? expiresAt) =>
        ApiKeyFactory.Create("ci", scope, collections, TestData.CreatedAt, expiresAt, "bootstrap", out _);
}
