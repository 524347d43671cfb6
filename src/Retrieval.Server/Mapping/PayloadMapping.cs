using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Retrieval.Server.Mapping;

/// <summary>Payloads travel as protobuf <see cref="Struct"/> and are kept as JSON object text.</summary>
internal static class PayloadMapping
{
    public static string? ToJson(Struct? payload) => payload is null ? null : JsonFormatter.Default.Format(payload);

    public static Struct ToStruct(string json) => JsonParser.Default.Parse<Struct>(json);
}
