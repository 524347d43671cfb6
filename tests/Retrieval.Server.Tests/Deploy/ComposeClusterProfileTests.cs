using Microsoft.Extensions.Configuration;
using Retrieval.Cluster;
using YamlDotNet.RepresentationModel;

namespace Retrieval.Server.Tests.Deploy;

/// <summary>
/// docker-compose.yml's <c>cluster</c> profile, checked statically (no Docker engine here): three nodes whose settings
/// bind to valid cluster options, on a PostgreSQL of the profile, started after one schema migration, each reachable
/// and health-checked on the ports its own Kestrel settings name.
/// </summary>
public sealed class ComposeClusterProfileTests
{
    private const string MigrateCommand = "retrieval db migrate";

    private readonly Dictionary<string, YamlMappingNode> _services = DeployFilesTests.ComposeServices();

    private IEnumerable<KeyValuePair<string, YamlMappingNode>> Nodes =>
        _services.Where(s => s.Value.Strings("environment").GetValueOrDefault("Retrieval__Cluster__Enabled") == "true");

    [Fact]
    public void ClusterProfile_HasThreeNodes_WithValidDistinctClusterSettings()
    {
        var nodes = Nodes.ToList();
        Assert.Equal(3, nodes.Count);
        var options = nodes.Select(n => ClusterOptions(n.Value)).ToList();
        Assert.All(options, o => Assert.Null(o.Problem()));
        Assert.Single(options.Select(o => o.ClusterId).Distinct());
        Assert.Single(options.Select(o => o.ServiceId).Distinct());
        Assert.Equal(3, options.Select(o => o.EffectiveNodeName).Distinct().Count());
        foreach (var (name, node) in nodes)
        {
            Assert.Equal(["cluster"], node.Items("profiles").Select(p => ((YamlScalarNode)p).Value));
            var environment = node.Strings("environment");
            Assert.Equal("postgres", environment["Retrieval__Store"]);
            // Peers reach a node by the compose network's DNS name of its own container.
            Assert.Contains(environment["Retrieval__Cluster__AdvertisedAddress"], new[] { name, node.TextOrNull("hostname") });
        }
    }

    [Fact]
    public void ClusterProfile_NodesShareTheProfilesPostgres_AndStartAfterOneMigration()
    {
        var connections = Nodes.Select(n => n.Value.Strings("environment")["ConnectionStrings__Postgres"]).Distinct().ToList();
        var connection = Assert.Single(connections);
        var database = _services[HostOf(connection)];
        Assert.StartsWith("postgres:", database.Text("image"), StringComparison.Ordinal);
        Assert.Equal(["cluster"], database.Items("profiles").Select(p => ((YamlScalarNode)p).Value));

        var migrations = _services.Where(s => string.Join(' ', Command(s.Value)) == MigrateCommand).ToList();
        var (migrateName, migrate) = Assert.Single(migrations);
        Assert.Equal("no", migrate.Text("restart"));
        Assert.Equal(connection, migrate.Strings("environment")["ConnectionStrings__Postgres"]);
        Assert.Equal("service_healthy", migrate.Map("depends_on").Map(HostOf(connection)).Text("condition"));

        foreach (var (name, node) in Nodes)
        {
            var dependsOn = node.Map("depends_on");
            Assert.Equal("service_healthy", dependsOn.Map(HostOf(connection)).Text("condition"));
            Assert.Equal("service_completed_successfully", dependsOn.Map(migrateName).Text("condition"));
            // The nodes never migrate on their own: that is the one-shot service's job.
            Assert.False(node.Strings("environment").ContainsKey("Retrieval__Postgres__MigrateOnStart"), name);
        }

        Assert.All(_services.Values.SelectMany(s => s.Entries("depends_on")), d => Assert.Contains(d.Key, _services.Keys));
    }

    [Fact]
    public void ClusterProfile_PortsHealthChecksAndVolumes_MatchEachNodesSettings()
    {
        var published = new List<string>();
        foreach (var (_, service) in _services)
        {
            published.AddRange(service.Items("ports").Select(p => ((YamlScalarNode)p).Value!.Split(':')[0]));
        }

        Assert.Equal(published.Count, published.Distinct().Count());
        var declaredVolumes = DeployFilesTests.ComposeFile().Entries("volumes").Select(v => v.Key).ToHashSet();
        var nodeVolumes = new List<string>();
        foreach (var (name, node) in Nodes)
        {
            var environment = node.Strings("environment");
            var rest = new Uri(environment["Kestrel__Endpoints__Rest__Url"]).Port;
            var grpc = new Uri(environment["Kestrel__Endpoints__Grpc__Url"]).Port;
            var containerPorts = node.Items("ports").Select(p => int.Parse(((YamlScalarNode)p).Value!.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal([rest, grpc], containerPorts.Order());

            var healthcheck = string.Join(' ', node.Map("healthcheck").Items("test").Select(t => ((YamlScalarNode)t).Value));
            Assert.Contains($"http://127.0.0.1:{rest}/healthz", healthcheck, StringComparison.Ordinal);
            Assert.Contains($"http://127.0.0.1:{rest}/readyz", healthcheck, StringComparison.Ordinal);

            var mounts = node.Items("volumes").Select(v => ((YamlScalarNode)v).Value!.Split(':')).ToList();
            var data = Assert.Single(mounts, m => m[1] == environment["Retrieval__DataDirectory"]);
            Assert.Contains(data[0], declaredVolumes);
            Assert.StartsWith(environment["Retrieval__DataDirectory"] + "/", environment["Retrieval__Auth__BootstrapKeyFile"], StringComparison.Ordinal);
            nodeVolumes.Add(data[0]);
            Assert.All(mounts, m => Assert.True(declaredVolumes.Contains(m[0]), $"{name} mounts undeclared volume {m[0]}"));
        }

        Assert.Equal(3, nodeVolumes.Distinct().Count());
    }

    private static ClusterModeOptions ClusterOptions(YamlMappingNode node) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(node.Strings("environment").Select(kv => KeyValuePair.Create(kv.Key.Replace("__", ":", StringComparison.Ordinal), (string?)kv.Value)))
            .Build()
            .GetSection(ClusterModeOptions.SectionName)
            .Get<ClusterModeOptions>()!;

    private static IEnumerable<string> Command(YamlMappingNode service) =>
        service.Items("entrypoint").Concat(service.Items("command")).Select(c => ((YamlScalarNode)c).Value!);

    private static string HostOf(string connectionString) =>
        new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Host!;
}
