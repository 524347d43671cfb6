using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Retrieval.Server.Tests.Deploy;

/// <summary>Reads YAML files of the repository (every document, merge keys expanded) and walks their nodes.</summary>
internal static class YamlFile
{
    public static IReadOnlyList<YamlMappingNode> LoadDocuments(string path)
    {
        using var reader = new StreamReader(path);
        var stream = new YamlStream();
        // Compose files share settings through YAML merge keys (<<: *anchor); the merging parser expands them.
        stream.Load(new MergingParser(new Parser(reader)));
        return stream.Documents.Where(d => d.RootNode is YamlMappingNode).Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    public static YamlNode? Child(this YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    public static YamlMappingNode Map(this YamlNode node, string key) =>
        node.Child(key) as YamlMappingNode ?? throw new KeyNotFoundException($"no mapping '{key}' at {node.Start}");

    public static IEnumerable<YamlNode> Items(this YamlNode node, string key) =>
        node.Child(key) is YamlSequenceNode sequence ? sequence.Children : [];

    public static string Text(this YamlNode node, string key) =>
        (node.Child(key) as YamlScalarNode)?.Value ?? throw new KeyNotFoundException($"no value '{key}' at {node.Start}");

    public static string? TextOrNull(this YamlNode node, string key) => (node.Child(key) as YamlScalarNode)?.Value;

    /// <summary>A mapping of scalars as a dictionary (labels, selectors, environment, ConfigMap data).</summary>
    public static Dictionary<string, string> Strings(this YamlNode node, string key) =>
        node.Child(key) is YamlMappingNode map
            ? map.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value ?? "", StringComparer.Ordinal)
            : [];

    public static IEnumerable<KeyValuePair<string, YamlNode>> Entries(this YamlNode node, string key) =>
        node.Child(key) is YamlMappingNode map
            ? map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, kv.Value))
            : [];
}
