using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Retrieval.Server.Rest;

/// <summary>
/// Proto JSON for REST answers written outside JSON transcoding, with 64-bit integers as JSON numbers as the
/// transcoded routes write them (docs/decisions.md), where the protobuf formatter writes strings.
/// </summary>
internal static class RestJson
{
    public static string Format(IMessage message)
    {
        var json = JsonNode.Parse(JsonFormatter.Default.Format(message))!;
        Int64AsNumbers(json, message.Descriptor);
        return json.ToJsonString();
    }

    private static void Int64AsNumbers(JsonNode node, MessageDescriptor descriptor)
    {
        if (node is not JsonObject obj)
        {
            return;
        }

        foreach (var field in descriptor.Fields.InDeclarationOrder())
        {
            if (!obj.TryGetPropertyValue(field.JsonName, out var value) || value is null || field.IsMap)
            {
                continue;
            }

            var values = field.IsRepeated && value is JsonArray array ? array.ToList() : [value];
            for (var i = 0; i < values.Count; i++)
            {
                if (field.FieldType == FieldType.Message)
                {
                    Int64AsNumbers(values[i]!, field.MessageType);
                }
                else if (field.FieldType is FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64
                    && values[i] is JsonValue text && text.TryGetValue<string>(out var digits)
                    && long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                {
                    if (field.IsRepeated)
                    {
                        ((JsonArray)value)[i] = number;
                    }
                    else
                    {
                        obj[field.JsonName] = number;
                    }
                }
            }
        }
    }
}
