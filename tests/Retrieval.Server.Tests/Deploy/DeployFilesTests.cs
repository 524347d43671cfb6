using System.Text.RegularExpressions;
using Retrieval.Server.Hosting;
using YamlDotNet.RepresentationModel;

namespace Retrieval.Server.Tests.Deploy;

/// <summary>
/// No Docker engine runs here, so the deploy files are checked statically: they parse, the paths they name exist,
/// and every configuration name they set is one the server reads.
/// </summary>
public sealed partial class DeployFilesTests
{
    private static readonly string Root = RepositoryRoot.Find();

    [Fact]
    public void Compose_ParsesAndNamesExistingDockerfileAndHealthChecks()
    {
        var services = ComposeServices();
        Assert.Contains("postgres", services.Keys);
        var retrieval = services["retrieval"];
        var build = (YamlMappingNode)retrieval.Children[new YamlScalarNode("build")];
        var dockerfile = ((YamlScalarNode)build.Children[new YamlScalarNode("dockerfile")]).Value!;
        Assert.True(File.Exists(Path.Combine(Root, dockerfile)), $"{dockerfile} does not exist");
        Assert.All(services.Values, service => Assert.True(service.Children.ContainsKey(new YamlScalarNode("healthcheck"))));
    }

    [Fact]
    public void Compose_EnvironmentNames_AreConfigurationTheServerReads()
    {
        var environment = (YamlMappingNode)ComposeServices()["retrieval"].Children[new YamlScalarNode("environment")];
        var names = environment.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
        Assert.Contains("Retrieval__Store", names);
        Assert.Contains("ConnectionStrings__Postgres", names);
        Assert.All(names, AssertKnownSetting);
    }

    [Fact]
    public void Dockerfile_CopiesExistingProjectsAndSetsKnownSettings()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "deploy", "Dockerfile"));
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0", dockerfile, StringComparison.Ordinal);
        Assert.Contains("USER retrieval", dockerfile, StringComparison.Ordinal);
        Assert.Contains("VOLUME", dockerfile, StringComparison.Ordinal);
        foreach (Match publish in PublishPattern().Matches(dockerfile))
        {
            Assert.True(Directory.Exists(Path.Combine(Root, publish.Groups[1].Value)), $"{publish.Groups[1].Value} does not exist");
        }

        var settings = EnvPattern().Matches(dockerfile).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(settings);
        Assert.All(settings, AssertKnownSetting);
    }

    private static Dictionary<string, YamlMappingNode> ComposeServices()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Root, "docker-compose.yml"));
        yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var services = (YamlMappingNode)root.Children[new YamlScalarNode("services")];
        return services.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => (YamlMappingNode)kv.Value);
    }

    /// <summary>A setting is known when it names a property of <see cref="RetrievalServerOptions"/> or <see cref="Retrieval.Server.Security.AuthOptions"/> (nested), a connection string, or a Kestrel endpoint URL.</summary>
    private static void AssertKnownSetting(string name)
    {
        var parts = name.Split("__");
        switch (parts[0])
        {
            case "ConnectionStrings":
                Assert.Equal(["ConnectionStrings", "Postgres"], parts);
                return;
            case "Kestrel":
                Assert.Matches("^Kestrel__Endpoints__(Rest|Grpc)__Url$", name);
                return;
            case RetrievalServerOptions.SectionName:
                // Retrieval:Auth is bound on its own (Retrieval.Server.Security.AuthOptions).
                var type = parts.Length > 1 && parts[1] == "Auth" ? typeof(Retrieval.Server.Security.AuthOptions) : typeof(RetrievalServerOptions);
                foreach (var part in parts.Skip(type == typeof(RetrievalServerOptions) ? 1 : 2))
                {
                    var property = type.GetProperty(part);
                    Assert.True(property is not null, $"{name}: {type.Name} has no setting '{part}'");
                    type = property!.PropertyType;
                }

                return;
            default:
                Assert.Fail($"{name} is not a setting the server reads");
                return;
        }
    }

    [GeneratedRegex(@"dotnet publish (\S+)")]
    private static partial Regex PublishPattern();

    [GeneratedRegex(@"^\s*(?:ENV\s+)?((?:Retrieval|Kestrel|ConnectionStrings)__\w+)=", RegexOptions.Multiline)]
    private static partial Regex EnvPattern();
}
