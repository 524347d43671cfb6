using System.Net;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

public sealed class HealthAndDiscoveryTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    private InProcessServer Server => fixture.Server;

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task HealthEndpoints_AfterLoad_AreHealthy(string path)
    {
        using var response = await Server.Rest.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_AfterRequests_ExportHttpAndRuntimeMetricsButNotThePerRequestDotnetMeters()
    {
        // A gRPC search and a REST call, then a scrape: prometheus-net's HTTP metrics count them and the runtime meter
        // is read at scrape time. ASP.NET Core's hosting and routing meters record on every request (a measurable share
        // of a search's CPU) and duplicate the HTTP metrics: they are not exported, so they are never recorded. (Their
        // instruments publish on the first measurement, so an exported one would show here.)
        var name = await TestCollections.CreateAsync(Server, "metrics");
        await Server.Search.SearchAsync(new Contracts.V1.SearchRequest { Collection = name, K = 1, Vector = new Contracts.V1.Vector { Values = { 1, 0, 0, 0 } } });
        using (var collections = await Server.Rest.GetAsync(new Uri("/v1/collections", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, collections.StatusCode);
        }

        var metrics = await Server.Rest.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("\nhttp_requests_received_total{", "\n" + metrics, StringComparison.Ordinal);
        Assert.Contains("\nsystem_runtime_dotnet_gc_collections", "\n" + metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("microsoft_aspnetcore_hosting_", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("microsoft_aspnetcore_routing_", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_OtherMetersInTheProcess_AreNotExported()
    {
        // Framework meters such as MsQuic's private diagnostics record in the server's process without anyone asking
        // for them: a meter outside the allow-list (Retrieval, Retrieval.*, System.Runtime) never reaches /metrics.
        // (An observable gauge is read at scrape time, so an exported one would show in this very scrape.)
        using var unlisted = new System.Diagnostics.Metrics.Meter("Private.InternalDiagnostics.Unlisted.Test");
        unlisted.CreateObservableGauge("unlisted_level", () => 7L);
        var name = await TestCollections.CreateAsync(Server, "metrics-filter");
        await Server.Search.SearchAsync(new Contracts.V1.SearchRequest { Collection = name, K = 1, Vector = new Contracts.V1.Vector { Values = { 1, 0, 0, 0 } } });

        var metrics = await Server.Rest.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.DoesNotContain("private_internaldiagnostics_", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("unlisted_level", metrics, StringComparison.Ordinal);
        Assert.Contains("\nsystem_runtime_dotnet_gc_collections", "\n" + metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GrpcHealth_Check_IsServing()
    {
        var health = new Health.HealthClient(Server.Channel);
        var reply = await health.CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task GrpcReflection_ListsTheRetrievalServices()
    {
        var reflection = new ServerReflection.ServerReflectionClient(Server.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("retrieval.v1.Collections", services);
        Assert.Contains("retrieval.v1.Items", services);
        Assert.Contains("retrieval.v1.Search", services);
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheRestPaths()
    {
        using var response = await Server.Rest.GetAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await response.Content.ReadAsStringAsync();
        Assert.Contains("/v1/collections/{collection}/items:upsert", document, StringComparison.Ordinal);
        Assert.Contains("/v1/collections/{collection}:search", document, StringComparison.Ordinal);
    }
}
