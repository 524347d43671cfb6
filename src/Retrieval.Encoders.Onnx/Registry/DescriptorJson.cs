using System.Text.Json;
using System.Text.Json.Serialization;

namespace Retrieval.Encoders.Onnx.Registry;

/// <summary>The on-disk JSON form of a registered encoder's metadata (enums as names, so files stay readable).</summary>
internal static class DescriptorJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
