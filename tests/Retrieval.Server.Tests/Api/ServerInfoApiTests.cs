using System.Net.Http.Json;
using System.Text.Json;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

public sealed class ServerInfoApiTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    private InProcessServer Server => fixture.Server;

    [Fact]
    public async Task GetServerInfo_OverGrpcAndRest_ReportsVersionStoreProviderAndReadiness()
    {
        var info = await new ServerInformation.ServerInformationClient(Server.Channel).GetServerInfoAsync(new GetServerInfoRequest());
        Assert.Equal("sqlite", info.Store);
        Assert.True(info.Ready);
        Assert.Equal("CPU", info.ExecutionProvider);
        Assert.False(string.IsNullOrEmpty(info.ExecutionProviderReason));
        Assert.StartsWith(typeof(ServerInfoApiTests).Assembly.GetName().Version!.ToString(3), info.Version, StringComparison.Ordinal);

        var rest = await Server.Rest.GetFromJsonAsync<JsonElement>(new Uri("/v1/server", UriKind.Relative));
        Assert.Equal(info.Version, rest.GetProperty("version").GetString());
        Assert.Equal("sqlite", rest.GetProperty("store").GetString());
        Assert.True(rest.GetProperty("ready").GetBoolean());
        Assert.Equal("CPU", rest.GetProperty("executionProvider").GetString());
    }
}
