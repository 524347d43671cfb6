using System.Net;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>A server with a 256 KiB request limit refuses larger requests on both transports and stores nothing.</summary>
public sealed class MessageSizeLimitTests : IAsyncLifetime
{
    private const int LimitBytes = 256 * 1024;
    private InProcessServer? _server;

    private InProcessServer Server => _server!;

    public async Task InitializeAsync()
    {
        var configuration = new ServerConfiguration("sqlite", null);
        configuration.Extra["Retrieval:MaxRequestBytes"] = LimitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _server = await InProcessServer.StartAsync(configuration);
        await TestCollections.CreateAsync(Server, "limits", dimension: 256, exactName: true);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            Directory.Delete(_server.Configuration.DataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Grpc_RequestOverLimit_IsResourceExhausted()
    {
        var items = Vectors.Random(400, 256, seed: 1).Select((v, i) => ($"i{i}", v));
        var error = await Assert.ThrowsAsync<RpcException>(() => TestCollections.UpsertAsync(Server, "limits", "v1", items));
        // The server answers RESOURCE_EXHAUSTED; when it does so while the client is still sending, HTTP/2 may
        // reset the stream first and the client reports the reset instead; under heavy load the server can also see the
        // reset while it is still reading and answer Unknown ("Exception was thrown by handler"). The point of the test
        // is that the request fails and nothing is stored.
        Assert.True(error.StatusCode is StatusCode.ResourceExhausted or StatusCode.Internal or StatusCode.Cancelled or StatusCode.Unknown, error.Status.ToString());
        Assert.Equal(0, (await Server.Items.CountItemsAsync(new CountItemsRequest { Collection = "limits" })).Count);
    }

    [Fact]
    public async Task Rest_BodyOverLimit_Is413()
    {
        var vector = Vectors.Json(new float[256]);
        var items = string.Join(",", Enumerable.Range(0, 1000).Select(i => "{\"id\":\"i" + i + "\",\"vectors\":{\"v1\":{\"values\":" + vector + "}}}"));
        using var response = await Server.PostJsonAsync("/v1/collections/limits/items:upsert", $$"""{"items":[{{items}}]}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, (await Server.Items.CountItemsAsync(new CountItemsRequest { Collection = "limits" })).Count);
    }
}
