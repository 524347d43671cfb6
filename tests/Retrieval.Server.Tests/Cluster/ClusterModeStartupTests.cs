using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Retrieval.Contracts.V1;
using Retrieval.Core.Storage;
using Retrieval.Server.Hosting;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Storage.Postgres;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// Cluster mode's start-up rules: it needs the PostgreSQL store and sound settings, or the server refuses to start
/// naming the setting; off (the default) the server answers cluster status as a single node.
/// </summary>
public sealed class ClusterModeStartupTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    [Fact]
    public void Enabled_OnSqlite_RefusesToStartSayingItNeedsPostgres()
    {
        var configuration = new ServerConfiguration("sqlite", null);
        configuration.Extra["Retrieval:Cluster:Enabled"] = "true";

        var refused = Assert.Throws<InvalidOperationException>(() => ServerExtensions.BuildRetrievalServer(configuration.ToArguments()));

        Assert.Contains("Retrieval:Cluster:Enabled", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Retrieval:Store=postgres", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enabled_OnSqlite_TheServerProcessExitsSayingWhy()
    {
        var configuration = new ServerConfiguration("sqlite", null);
        configuration.Extra["Retrieval:Cluster:Enabled"] = "true";
        try
        {
            var exited = await Assert.ThrowsAsync<ChildServerExitedException>(() => ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60)));

            Assert.Contains("Retrieval:Store=postgres", exited.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(configuration.DataDirectory))
            {
                Directory.Delete(configuration.DataDirectory, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("SiloPort", "0")]
    [InlineData("GatewayPort", "70000")]
    [InlineData("ClusterId", " ")]
    public void Enabled_WithABadSetting_RefusesToStartNamingIt(string setting, string value)
    {
        // No database is reached: the settings are refused before anything connects.
        var configuration = new ServerConfiguration("postgres", "Host=127.0.0.1;Port=1;Username=nobody;Database=none");
        configuration.Extra["Retrieval:Cluster:Enabled"] = "true";
        configuration.Extra[$"Retrieval:Cluster:{setting}"] = value;

        var refused = Assert.Throws<InvalidOperationException>(() => ServerExtensions.BuildRetrievalServer(configuration.ToArguments()));

        Assert.Contains($"Retrieval:Cluster:{setting}", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PollIntervalMilliseconds", "0")]
    [InlineData("ApplyChunk", "-1")]
    public void Enabled_WithABadFollowSetting_RefusesToStartNamingIt(string setting, string value)
    {
        var configuration = new ServerConfiguration("postgres", "Host=127.0.0.1;Port=1;Username=nobody;Database=none");
        configuration.Extra["Retrieval:Cluster:Enabled"] = "true";
        configuration.Extra[$"Retrieval:Cluster:Follow:{setting}"] = value;

        var refused = Assert.Throws<InvalidOperationException>(() => ServerExtensions.BuildRetrievalServer(configuration.ToArguments()));

        Assert.Contains($"Retrieval:Cluster:Follow:{setting}", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>A single node on PostgreSQL follows nothing: no change feed (no LISTEN connection, no poll), no notices sent.</summary>
    [Fact]
    public async Task SingleNode_OnPostgres_OpensNoChangeFeedAndSendsNoNotices()
    {
        // No database is reached: the services are only resolved, never started.
        var configuration = new ServerConfiguration("postgres", "Host=127.0.0.1;Port=1;Username=nobody;Database=none");
        await using var app = ServerExtensions.BuildRetrievalServer(configuration.ToArguments());

        Assert.Null(app.Services.GetService<IStoreChangeFeed>());
        Assert.False(Assert.IsType<PostgresRetrievalStore>(app.Services.GetRequiredService<IRetrievalStore>()).NotifyWrites);
    }

    [Fact]
    public void SingleNode_OnSqlite_OpensNoChangeFeed() =>
        Assert.Null(fixture.Server.Services.GetService<IStoreChangeFeed>());

    [Fact]
    public void Enabled_WithoutAConnectionString_RefusesToStartNamingIt()
    {
        var configuration = new ServerConfiguration("postgres", null);
        configuration.Extra["Retrieval:Cluster:Enabled"] = "true";

        var refused = Assert.Throws<InvalidOperationException>(() => ServerExtensions.BuildRetrievalServer(configuration.ToArguments()));

        Assert.Contains("ConnectionStrings:Postgres", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Single-node mode costs nothing: a running single-node server (this class's fixture, in this process) that has
    /// answered cluster status has not loaded one Orleans assembly. (No test in this assembly hosts a silo in process;
    /// the cluster tests run nodes as child processes.)
    /// </summary>
    [Fact]
    public async Task SingleNode_NeverLoadsOrleans()
    {
        await new Contracts.V1.Cluster.ClusterClient(fixture.Server.Channel).GetClusterStatusAsync(new GetClusterStatusRequest());

        var orleans = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? "")
            .Where(name => name.StartsWith("Orleans", StringComparison.Ordinal)).ToList();

        Assert.Empty(orleans);
    }

    [Fact]
    public async Task ClusterStatus_SingleNode_SaysClusterModeIsOffOverGrpcAndRest()
    {
        var status = await new Contracts.V1.Cluster.ClusterClient(fixture.Server.Channel).GetClusterStatusAsync(new GetClusterStatusRequest());
        Assert.False(status.Enabled);
        Assert.Empty(status.Nodes);

        var rest = await fixture.Server.Rest.GetFromJsonAsync<JsonElement>(new Uri("/v1/cluster", UriKind.Relative));
        Assert.False(rest.GetProperty("enabled").GetBoolean());
        Assert.Equal(0, rest.GetProperty("nodes").GetArrayLength());
    }
}
