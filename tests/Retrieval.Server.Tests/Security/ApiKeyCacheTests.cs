using System.Diagnostics;
using Retrieval.Core.Security;
using Retrieval.Server.Security;

namespace Retrieval.Server.Tests.Security;

public sealed class ApiKeyCacheTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Authenticate_ActiveExpiredRevokedUnknown_AreTold()
    {
        var cache = new ApiKeyCache(new FixedTime(Now));
        var active = ApiKeyFactory.Create("a", ApiKeyScope.Write, ["docs*"], Now.AddDays(-1), null, "test", out var activeToken);
        var expired = ApiKeyFactory.Create("e", ApiKeyScope.Read, [], Now.AddDays(-2), Now.AddDays(-1), "test", out var expiredToken);
        var revoked = ApiKeyFactory.Create("r", ApiKeyScope.Read, [], Now.AddDays(-2), null, "test", out var revokedToken) with { RevokedAt = Now };
        cache.Replace([active, expired, revoked]);

        Assert.Equal(KeyCheck.Valid, cache.Authenticate(activeToken, out var caller));
        Assert.Equal(KeyCheck.Expired, cache.Authenticate(expiredToken, out _));
        Assert.Equal(KeyCheck.Revoked, cache.Authenticate(revokedToken, out _));
        Assert.Equal(KeyCheck.Unknown, cache.Authenticate(activeToken[..^1] + (activeToken[^1] == 'A' ? 'B' : 'A'), out _));
        Assert.Equal(KeyCheck.Unknown, cache.Authenticate("garbage", out _));
        Assert.Equal(active.Id, caller!.KeyId);
        Assert.Equal(ApiKeyScope.Write, caller.Scope);
        Assert.True(caller.Collections.Allows("docs-1"));
        Assert.False(caller.Collections.Allows("shop"));
    }

    [Fact]
    public void Authenticate_BeforeLoad_AcceptsOnlyTheBootstrapKey()
    {
        var cache = new ApiKeyCache(new FixedTime(Now));
        var bootstrap = ApiKeyFactory.Create("bootstrap", ApiKeyScope.Admin, [], Now, null, "config", out var bootstrapToken);
        var (_, other) = ApiKeyToken.Generate();
        cache.SetBootstrap(bootstrap);

        Assert.Equal(KeyCheck.Valid, cache.Authenticate(bootstrapToken, out _));
        Assert.Equal(KeyCheck.NotLoaded, cache.Authenticate(other, out _));
        cache.Replace([]);
        Assert.Equal(KeyCheck.Unknown, cache.Authenticate(other, out _));
        Assert.Equal(KeyCheck.Valid, cache.Authenticate(bootstrapToken, out _));
    }

    [Fact]
    public void Authenticate_UnknownId_TakesAsLongAsAWrongSecret()
    {
        // An unknown id is checked against a decoy hash, so response time does not tell which ids exist.
        var cache = new ApiKeyCache(new FixedTime(Now));
        var key = ApiKeyFactory.Create("k", ApiKeyScope.Read, [], Now, null, "test", out var token);
        cache.Replace([key]);
        var wrongSecret = token[..^1] + (token[^1] == 'A' ? 'B' : 'A');
        var unknownId = "rtv_ffffffffffff" + token[16..];
        string[] cases = [wrongSecret, unknownId];
        var samples = new[] { new List<double>(), new List<double>() };
        for (var round = 0; round < 201; round++)
        {
            for (var c = 0; c < cases.Length; c++)
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < 200; i++)
                {
                    cache.Authenticate(cases[c], out _);
                }

                samples[c].Add(Stopwatch.GetElapsedTime(start).TotalNanoseconds / 200);
            }
        }

        var medians = samples.Select(s => s.Order().ElementAt(s.Count / 2)).ToArray();
        Assert.True(medians.Max() / medians.Min() < 1.5, $"wrong secret {medians[0]:F0} ns, unknown id {medians[1]:F0} ns");
    }

    [Theory]
    [InlineData("http://127.0.0.1:7700", true)]
    [InlineData("http://localhost:7700", true)]
    [InlineData("https://[::1]:7701", true)]
    [InlineData("http://0.0.0.0:7700", false)]
    [InlineData("http://*:7700", false)]
    [InlineData("http://+:7700", false)]
    [InlineData("http://[::]:7700", false)]
    [InlineData("http://10.1.2.3:7700", false)]
    [InlineData("http://example.com:7700", false)]
    public void ListenAddressCheck_IsLoopback_OnlyForLoopback(string url, bool expected) =>
        Assert.Equal(expected, ListenAddressCheck.IsLoopback(url));

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
