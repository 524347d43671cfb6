using System.Globalization;
using Microsoft.Extensions.Configuration;
using Retrieval.Cluster;
using YamlDotNet.RepresentationModel;

namespace Retrieval.Server.Tests.Deploy;

/// <summary>
/// deploy/k8s, checked statically (no Kubernetes here): every manifest parses and is listed in the kustomization,
/// every reference resolves (selectors to pod labels, ConfigMap and Secret names and keys, volume mounts to volumes,
/// named ports to container ports), the container ports are the ones the server's own settings open, and every
/// environment name is an option the server reads.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Directory = Path.Combine(RepositoryRoot.Find(), "deploy", "k8s");

    private readonly List<(string File, YamlMappingNode Node)> _objects = System.IO.Directory.GetFiles(Directory, "*.yaml")
        .SelectMany(f => YamlFile.LoadDocuments(f).Select(d => (Path.GetFileName(f), d)))
        .ToList();

    private YamlMappingNode Object(string kind, string name) =>
        Assert.Single(_objects, o => o.Node.Text("kind") == kind && o.Node.Map("metadata").Text("name") == name).Node;

    private YamlMappingNode StatefulSet => Assert.Single(_objects, o => o.Node.Text("kind") == "StatefulSet").Node;

    private YamlMappingNode PodSpec => StatefulSet.Map("spec").Map("template").Map("spec");

    private Dictionary<string, string> PodLabels => StatefulSet.Map("spec").Map("template").Map("metadata").Strings("labels");

    private YamlMappingNode Server => (YamlMappingNode)Assert.Single(PodSpec.Items("containers"));

    [Fact]
    public void Kustomization_ListsEveryManifest()
    {
        var kustomization = Assert.Single(_objects, o => o.Node.Text("kind") == "Kustomization");
        var resources = kustomization.Node.Items("resources").Select(r => ((YamlScalarNode)r).Value!).Order(StringComparer.Ordinal);
        var manifests = _objects.Where(o => o.File != kustomization.File).Select(o => o.File).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(manifests, resources);
        Assert.All(_objects.Where(o => o.File != kustomization.File), o => Assert.False(string.IsNullOrEmpty(o.Node.Text("apiVersion"))));
    }

    [Fact]
    public void Selectors_MatchThePodLabels()
    {
        var spec = StatefulSet.Map("spec");
        AssertSelects(spec.Map("selector").Strings("matchLabels"), "StatefulSet selector");
        var silo = Object("Service", spec.Text("serviceName"));
        Assert.Equal("None", silo.Map("spec").Text("clusterIP"));
        foreach (var service in _objects.Where(o => o.Node.Text("kind") == "Service").Select(o => o.Node))
        {
            AssertSelects(service.Map("spec").Strings("selector"), $"Service {service.Map("metadata").Text("name")}");
        }

        AssertSelects(Single("PodDisruptionBudget").Map("spec").Map("selector").Strings("matchLabels"), "PodDisruptionBudget");
        var policy = Single("NetworkPolicy").Map("spec");
        AssertSelects(policy.Map("podSelector").Strings("matchLabels"), "NetworkPolicy");
        foreach (var rule in policy.Items("ingress"))
        {
            Assert.All(rule.Items("from"), from => AssertSelects(from.Map("podSelector").Strings("matchLabels"), "NetworkPolicy peer"));
            Assert.All(rule.Items("ports"), port => ContainerPort(port.Text("port")));
        }
    }

    [Fact]
    public void ServicePorts_TargetNamedContainerPorts()
    {
        foreach (var service in _objects.Where(o => o.Node.Text("kind") == "Service").Select(o => o.Node))
        {
            var ports = service.Map("spec").Items("ports").ToList();
            Assert.NotEmpty(ports);
            foreach (var port in ports)
            {
                Assert.Equal(int.Parse(port.Text("port"), CultureInfo.InvariantCulture), ContainerPort(port.Text("targetPort")));
            }
        }

        var client = Object("Service", "retrieval").Map("spec").Items("ports").Select(p => p.Text("targetPort")).Order(StringComparer.Ordinal);
        Assert.Equal(["grpc", "rest"], client);
        Assert.Equal(["silo"], Object("Service", StatefulSet.Map("spec").Text("serviceName")).Map("spec").Items("ports").Select(p => p.Text("targetPort")));
    }

    [Fact]
    public void ContainerPorts_AreTheOnesTheServersSettingsOpen()
    {
        var settings = ServerSettings();
        Assert.Equal(new Uri(settings["Kestrel:Endpoints:Rest:Url"]!).Port, ContainerPort("rest"));
        Assert.Equal(new Uri(settings["Kestrel:Endpoints:Grpc:Url"]!).Port, ContainerPort("grpc"));
        var cluster = settings.GetSection(ClusterModeOptions.SectionName).Get<ClusterModeOptions>()!;
        Assert.True(cluster.Enabled);
        Assert.Null(cluster.Problem());
        Assert.Equal("postgres", settings["Retrieval:Store"]);
        Assert.Equal(cluster.SiloPort, ContainerPort("silo"));
        Assert.Equal(0, cluster.GatewayPort);
    }

    [Fact]
    public void Probes_UseHealthzAndReadyzOnTheRestPort()
    {
        var rest = ContainerPort("rest");
        Assert.Equal(("/healthz", rest), Probe("livenessProbe"));
        Assert.Equal(("/readyz", rest), Probe("readinessProbe"));
        Assert.Equal(("/healthz", rest), Probe("startupProbe"));
    }

    [Fact]
    public void ConfigMapAndSecretReferences_Resolve_AndEveryEnvironmentNameIsAnOption()
    {
        foreach (var container in Containers())
        {
            foreach (var source in container.Items("envFrom"))
            {
                var configMap = Object("ConfigMap", source.Map("configMapRef").Text("name"));
                Assert.All(configMap.Strings("data").Keys, KnownSettings.AssertKnown);
            }

            foreach (var variable in container.Items("env"))
            {
                KnownSettings.AssertKnown(variable.Text("name"));
                if (variable.Child("valueFrom") is not { } valueFrom)
                {
                    continue;
                }

                if (valueFrom.Child("secretKeyRef") is { } secretRef)
                {
                    Assert.Contains(secretRef.Text("key"), SecretKeys(secretRef.Text("name")));
                }
                else if (valueFrom.Child("configMapKeyRef") is { } configRef)
                {
                    Assert.Contains(configRef.Text("key"), Object("ConfigMap", configRef.Text("name")).Strings("data").Keys);
                }
                else
                {
                    Assert.Contains(valueFrom.Map("fieldRef").Text("fieldPath"), new[] { "status.podIP", "metadata.name", "metadata.namespace" });
                }
            }
        }

        // Peers reach a pod at its IP; its stable StatefulSet name is its node name.
        var env = Server.Items("env").ToDictionary(e => e.Text("name"), e => e.Child("valueFrom")?.Child("fieldRef")?.Child("fieldPath")?.ToString());
        Assert.Equal("status.podIP", env["Retrieval__Cluster__AdvertisedAddress"]);
        Assert.Equal("metadata.name", env["Retrieval__Cluster__NodeName"]);
    }

    [Fact]
    public void VolumeMounts_NameVolumes_AndTheBootstrapKeyAndDataLiveOnThem()
    {
        var volumes = PodSpec.Items("volumes").ToDictionary(v => v.Text("name"));
        var claims = StatefulSet.Map("spec").Items("volumeClaimTemplates").Select(c => c.Map("metadata").Text("name")).ToHashSet();
        foreach (var container in Containers())
        {
            Assert.All(container.Items("volumeMounts"), m => Assert.True(volumes.ContainsKey(m.Text("name")) || claims.Contains(m.Text("name")), $"no volume {m.Text("name")}"));
        }

        foreach (var secretVolume in volumes.Values.Select(v => v.Child("secret")).OfType<YamlMappingNode>())
        {
            var keys = SecretKeys(secretVolume.Text("secretName"));
            Assert.All(secretVolume.Items("items"), item => Assert.Contains(item.Text("key"), keys));
        }

        var settings = ServerSettings();
        var mounts = Server.Items("volumeMounts").ToDictionary(m => m.Text("mountPath"), m => m.Text("name"));
        Assert.Contains(mounts[settings["Retrieval:DataDirectory"]!], claims);

        var keyFile = settings["Retrieval:Auth:BootstrapKeyFile"]!;
        var keyVolume = volumes[mounts[Path.GetDirectoryName(keyFile)!]].Map("secret");
        Assert.Contains(Path.GetFileName(keyFile), keyVolume.Items("items").Select(i => i.Text("path")));
    }

    [Fact]
    public void EveryContainerHasResources_AndTheSchemaIsMigratedBeforeTheServerStarts()
    {
        foreach (var container in Containers())
        {
            var resources = container.Map("resources");
            foreach (var kind in new[] { "requests", "limits" })
            {
                Assert.True(resources.Map(kind).Child("cpu") is not null && resources.Map(kind).Child("memory") is not null, $"{container.Text("name")}: {kind} lack cpu or memory");
            }
        }

        var migrate = (YamlMappingNode)Assert.Single(PodSpec.Items("initContainers"));
        Assert.Equal(["retrieval", "db", "migrate"], migrate.Items("command").Select(c => ((YamlScalarNode)c).Value));
        Assert.Contains("ConnectionStrings__Postgres", migrate.Items("env").Select(e => e.Text("name")));
        Assert.Equal(Server.Text("image"), migrate.Text("image"));
        Assert.Equal("3", StatefulSet.Map("spec").Text("replicas"));
    }

    private YamlMappingNode Single(string kind) => Assert.Single(_objects, o => o.Node.Text("kind") == kind).Node;

    private IEnumerable<YamlMappingNode> Containers() =>
        PodSpec.Items("containers").Concat(PodSpec.Items("initContainers")).Cast<YamlMappingNode>();

    private void AssertSelects(Dictionary<string, string> selector, string what)
    {
        Assert.NotEmpty(selector);
        Assert.All(selector, label => Assert.True(PodLabels.GetValueOrDefault(label.Key) == label.Value, $"{what}: pods have no label {label.Key}={label.Value}"));
    }

    private int ContainerPort(string nameOrNumber)
    {
        var ports = Server.Items("ports").ToList();
        var port = ports.SingleOrDefault(p => p.Text("name") == nameOrNumber || p.Text("containerPort") == nameOrNumber);
        Assert.True(port is not null, $"the server container has no port {nameOrNumber}");
        return int.Parse(port!.Text("containerPort"), CultureInfo.InvariantCulture);
    }

    private (string Path, int Port) Probe(string kind)
    {
        var get = Server.Map(kind).Map("httpGet");
        return (get.Text("path"), ContainerPort(get.Text("port")));
    }

    private HashSet<string> SecretKeys(string name)
    {
        var secret = Object("Secret", name);
        return secret.Strings("stringData").Keys.Concat(secret.Strings("data").Keys).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The server container's configuration as the server would read it: its ConfigMaps, then its literal env values.</summary>
    private IConfiguration ServerSettings()
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var source in Server.Items("envFrom"))
        {
            foreach (var (key, value) in Object("ConfigMap", source.Map("configMapRef").Text("name")).Strings("data"))
            {
                values[key.Replace("__", ":", StringComparison.Ordinal)] = value;
            }
        }

        foreach (var variable in Server.Items("env").Where(v => v.TextOrNull("value") is not null))
        {
            values[variable.Text("name").Replace("__", ":", StringComparison.Ordinal)] = variable.Text("value");
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }
}
