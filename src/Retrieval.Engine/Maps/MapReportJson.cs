using System.Text.Json;
using System.Text.Json.Serialization;
using Retrieval.Core.Maps;

namespace Retrieval.Engine.Maps;

/// <summary>The persisted JSON form of a <see cref="MapReport"/>; the store keeps it as opaque text.</summary>
internal static class MapReportJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Serialize(MapReport report) => JsonSerializer.Serialize(report, Options);

    public static MapReport Deserialize(string json) =>
        JsonSerializer.Deserialize<MapReport>(json, Options) ?? throw new InvalidDataException("empty map report");
}
