using System.Text.RegularExpressions;
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
        foreach (var (name, service) in services)
        {
            if (service.Child("build") is { } build)
            {
                var dockerfile = build.Text("dockerfile");
                Assert.True(File.Exists(Path.Combine(Root, dockerfile)), $"{name}: {dockerfile} does not exist");
            }

            // One-shot services (the schema migration) run to completion; every long-running one reports its health.
            if (service.TextOrNull("restart") != "no")
            {
                Assert.True(service.Child("healthcheck") is not null, $"{name} has no healthcheck");
            }
        }
    }

    [Fact]
    public void Compose_DefaultServicesAreUnchanged_OthersNeedTheClusterProfile()
    {
        var services = ComposeServices();
        var defaults = services.Where(s => s.Value.Child("profiles") is null).Select(s => s.Key).Order(StringComparer.Ordinal);
        Assert.Equal(["postgres", "retrieval"], defaults);
        Assert.All(services.Where(s => s.Value.Child("profiles") is not null), s =>
            Assert.Equal(["cluster"], s.Value.Items("profiles").Select(p => ((YamlScalarNode)p).Value)));
    }

    [Fact]
    public void Compose_EnvironmentNames_AreConfigurationTheServerReads()
    {
        var services = ComposeServices();
        var names = services["retrieval"].Strings("environment").Keys.ToList();
        Assert.Contains("Retrieval__Store", names);
        Assert.Contains("ConnectionStrings__Postgres", names);
        // Every service running the server image sets only settings the server (or its CLI) reads.
        foreach (var service in services.Values.Where(s => s.Child("build") is not null))
        {
            Assert.All(service.Strings("environment").Keys, KnownSettings.AssertKnown);
        }
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
        Assert.All(settings, KnownSettings.AssertKnown);
    }

    internal static Dictionary<string, YamlMappingNode> ComposeServices() =>
        ComposeFile().Entries("services").ToDictionary(kv => kv.Key, kv => (YamlMappingNode)kv.Value, StringComparer.Ordinal);

    internal static YamlMappingNode ComposeFile() => YamlFile.LoadDocuments(Path.Combine(Root, "docker-compose.yml"))[0];

    [GeneratedRegex(@"dotnet publish (\S+)")]
    private static partial Regex PublishPattern();

    [GeneratedRegex(@"^\s*(?:ENV\s+)?((?:Retrieval|Kestrel|ConnectionStrings)__\w+)=", RegexOptions.Multiline)]
    private static partial Regex EnvPattern();
}
