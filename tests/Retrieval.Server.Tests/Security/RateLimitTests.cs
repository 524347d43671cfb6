using System.Net;
using System.Net.Http.Json;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Security;

/// <summary>A secured server with tight per-key limits: 5 requests/s, 4 vectors/s, 1 stream at a time.</summary>
public sealed class RateLimitedServerFixture : SecuredServerFixture
{
    protected override void Configure(ServerConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.Extra["Retrieval:Auth:RequestsPerSecond"] = "5";
        configuration.Extra["Retrieval:Auth:VectorsPerSecond"] = "4";
        configuration.Extra["Retrieval:Auth:MaxConcurrentStreams"] = "1";
    }
}

/// <summary>Over a key's limit the answer is RESOURCE_EXHAUSTED / 429 with a retry-after hint; other keys are unaffected.</summary>
public sealed class RateLimitTests(RateLimitedServerFixture fixture) : IClassFixture<RateLimitedServerFixture>
{
    [Fact]
    public async Task Grpc_OverRequestsPerSecond_IsResourceExhaustedWithRetryAfter()
    {
        var key = await fixture.CreateKeyAsync("burst-grpc", KeyScope.Read, []);
        RpcException? refused = null;
        for (var i = 0; i < 30 && refused is null; i++)
        {
            try
            {
                await fixture.Server.Items.CountItemsAsync(new CountItemsRequest { Collection = SecuredServerFixture.Victim }, SecuredServerFixture.Auth(key));
            }
            catch (RpcException e)
            {
                refused = e;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("requests per second", refused.Status.Detail, StringComparison.Ordinal);
        Assert.NotNull(refused.Trailers.GetValue("retry-after"));

        // Another key has its own budget.
        var other = await fixture.Server.Items.CountItemsAsync(new CountItemsRequest { Collection = SecuredServerFixture.Victim }, SecuredServerFixture.Auth(fixture.Read));
        Assert.Equal(3, other.Count);
    }

    [Fact]
    public async Task Rest_OverRequestsPerSecond_Is429WithRetryAfter()
    {
        var key = await fixture.CreateKeyAsync("burst-rest", KeyScope.Read, []);
        using var rest = fixture.Rest(key);
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 30 && refused is null; i++)
        {
            var response = await rest.PostAsync(new Uri($"/v1/collections/{SecuredServerFixture.Victim}/items:count", UriKind.Relative), JsonContent.Create(new { }));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                response.Dispose();
            }
            else
            {
                refused = response;
            }
        }

        Assert.NotNull(refused);
        using (refused)
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
        }
    }

    [Fact]
    public async Task Upsert_OverVectorsPerSecond_IsResourceExhausted()
    {
        var key = await fixture.CreateKeyAsync("vectors", KeyScope.Write, []);
        var tooBig = Upsert(5);
        var fits = Upsert(4);

        var batch = await Assert.ThrowsAsync<RpcException>(() => fixture.Server.Items.UpsertItemsAsync(tooBig, SecuredServerFixture.Auth(key)).ResponseAsync);
        await fixture.Server.Items.UpsertItemsAsync(fits, SecuredServerFixture.Auth(key));
        var rate = await Assert.ThrowsAsync<RpcException>(() => fixture.Server.Items.UpsertItemsAsync(fits, SecuredServerFixture.Auth(key)).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, batch.StatusCode);
        Assert.Contains("exceeds the key's limit of 4 vectors per second", batch.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.ResourceExhausted, rate.StatusCode);
        Assert.Contains("vectors per second is reached", rate.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondConcurrentStream_OfOneKey_IsResourceExhausted()
    {
        var key = await fixture.CreateKeyAsync("streams", KeyScope.Write, []);
        using var first = fixture.Server.Items.StreamUpsertItems(SecuredServerFixture.Auth(key));
        await first.RequestStream.WriteAsync(Upsert(1));
        Assert.True(await first.ResponseStream.MoveNext(CancellationToken.None));

        using var second = fixture.Server.Items.StreamUpsertItems(SecuredServerFixture.Auth(key));
        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await second.RequestStream.WriteAsync(Upsert(1));
            await second.ResponseStream.MoveNext(CancellationToken.None);
        });
        await first.RequestStream.CompleteAsync();
        Assert.False(await first.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("streaming calls", refused.Status.Detail, StringComparison.Ordinal);
    }

    private static UpsertItemsRequest Upsert(int count)
    {
        var request = new UpsertItemsRequest { Collection = SecuredServerFixture.Other };
        for (var i = 0; i < count; i++)
        {
            request.Items.Add(new Item { Id = $"rate-{Guid.NewGuid():N}", Vectors = { ["v1"] = new Vector { Values = { 1, 0, 0, i } } } });
        }

        return request;
    }
}
