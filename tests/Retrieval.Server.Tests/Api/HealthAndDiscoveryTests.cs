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
