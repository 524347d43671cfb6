using System.Text.Json;
using System.Text.Json.Serialization;
using Retrieval.Core.Model;

namespace Retrieval.Core.Storage;

/// <summary>
/// The persisted form of a collection's spaces and default space, shared by every store so that a
/// collection moves between stores unchanged. Unknown properties are ignored so newer builds can add fields.
/// </summary>
public static class CollectionDefinitionJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Serialize(CollectionDefinition collection) =>
        JsonSerializer.Serialize(new Persisted(collection.Spaces, collection.DefaultSpace, collection.StoreInputs, collection.Shards, collection.Version, collection.Replicas), Options);

    public static CollectionDefinition Deserialize(string name, string json, DateTimeOffset createdAt, DateTimeOffset updatedAt)
    {
        var persisted = JsonSerializer.Deserialize<Persisted>(json, Options)
            ?? throw new InvalidDataException($"collection '{name}' has an empty definition");
        // Definitions written before shards existed have no "shards": they are one-shard collections.
        // Definitions written before versions existed have no "version": version 0; before replicas, "replicas": 1.
        return new CollectionDefinition(name, persisted.Spaces, persisted.DefaultSpace, createdAt, updatedAt, persisted.StoreInputs, persisted.Shards)
        {
            Version = persisted.Version,
            Replicas = persisted.Replicas,
        };
    }

    private sealed record Persisted(IReadOnlyList<SpaceDefinition> Spaces, string DefaultSpace, bool StoreInputs = false, int Shards = 1, long Version = 0, int Replicas = 1);
}
