using System.Net.Http.Json;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Retrieval.Contracts.V1;
using Retrieval.Server.Hosting;

namespace Retrieval.Testing.Server;

/// <summary>
/// A real server (Kestrel on loopback, real store) hosted in the test process, with a gRPC channel and a REST client.
/// </summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private InProcessServer(WebApplication app, ServerConfiguration configuration)
    {
        _app = app;
        Configuration = configuration;
        _channel = GrpcChannel.ForAddress(configuration.GrpcAddress);
        Rest = new HttpClient { BaseAddress = configuration.RestAddress };
        Collections = new Collections.CollectionsClient(_channel);
        Items = new Items.ItemsClient(_channel);
        Search = new Search.SearchClient(_channel);
        Maps = new Maps.MapsClient(_channel);
        Encoders = new Contracts.V1.Encoders.EncodersClient(_channel);
        Migrations = new Migrations.MigrationsClient(_channel);
    }

    public ServerConfiguration Configuration { get; }

    public HttpClient Rest { get; }

    public GrpcChannel Channel => _channel;

    /// <summary>The server's services, for tests that reach past the API (for example, the engine's migration calls).</summary>
    public IServiceProvider Services => _app.Services;

    public Collections.CollectionsClient Collections { get; }

    public Items.ItemsClient Items { get; }

    public Search.SearchClient Search { get; }

    public Maps.MapsClient Maps { get; }

    public Contracts.V1.Encoders.EncodersClient Encoders { get; }

    public Migrations.MigrationsClient Migrations { get; }

    public static async Task<InProcessServer> StartAsync(ServerConfiguration configuration)
    {
        var app = await StartOnFreePortsAsync(configuration);
        var server = new InProcessServer(app, configuration);
        await server.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        return server;
    }

    /// <summary>
    /// Starts the app, picking new ports when one was taken: <see cref="FreePort"/> only says a port was free a moment
    /// ago, and a loopback client elsewhere in the run (an Npgsql or HTTP connection's ephemeral port) can take it
    /// before Kestrel binds. Other start-up failures propagate.
    /// </summary>
    private static async Task<WebApplication> StartOnFreePortsAsync(ServerConfiguration configuration)
    {
        const int attempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            var app = ServerExtensions.BuildRetrievalServer(configuration.ToArguments());
            try
            {
                await app.StartAsync();
                return app;
            }
            catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException && attempt < attempts)
            {
                // The hosted services before Kestrel (the engine) started: stop and release them before trying again.
                await app.StopAsync();
                await app.DisposeAsync();
                configuration.RenewPorts();
            }
        }
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            using var response = await Rest.GetAsync(new Uri("/readyz", UriKind.Relative), cts.Token);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(50, cts.Token);
        }
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        Rest.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public Task<T?> GetJsonAsync<T>(string path) => Rest.GetFromJsonAsync<T>(new Uri(path, UriKind.Relative));

    public async ValueTask DisposeAsync()
    {
        Rest.Dispose();
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
