using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Google.Protobuf.Reflection;

namespace Retrieval.Server.Rest;

/// <summary>
/// Checks a REST request body against the proto3 JSON mapping of its message before JSON transcoding reads it, so that
/// a body the document does not describe is refused with the field path and the reason
/// (<c>items[0].vectors.v1.values[2]: expected a number</c>, <c>limt: unknown field</c>) instead of the transcoder's
/// generic "not correctly formatted", and unknown fields are refused as the OpenAPI document's
/// <c>additionalProperties: false</c> says. It only checks the shape; values are judged by the engine's validators.
/// </summary>
internal static partial class ProtoJsonShapeValidator
{
    /// <summary>The first shape error in <paramref name="body"/> as <c>"path: reason"</c>, or null when it conforms.</summary>
    public static string? Validate(JsonElement body, MessageDescriptor message, string rootPath = "")
    {
        var path = new StringBuilder(rootPath);
        // A null inside a message means "the default"; a null body has no message for the transcoder to fill.
        return body.ValueKind == JsonValueKind.Null ? Fail(path, "expected an object, not null") : CheckMessage(body, message, path);
    }

    private static string? CheckMessage(JsonElement value, MessageDescriptor message, StringBuilder path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        switch (message.FullName)
        {
            case "google.protobuf.Struct":
                return value.ValueKind == JsonValueKind.Object ? null : Fail(path, "expected an object");
            case "google.protobuf.Value":
                return null;
            case "google.protobuf.ListValue":
                return value.ValueKind == JsonValueKind.Array ? null : Fail(path, "expected an array");
            case "google.protobuf.Timestamp":
            case "google.protobuf.Duration":
            case "google.protobuf.FieldMask":
                return value.ValueKind == JsonValueKind.String ? null : Fail(path, "expected a string");
            case "google.protobuf.Any":
                return value.ValueKind == JsonValueKind.Object ? null : Fail(path, "expected an object");
        }

        if (message.File.Package == "google.protobuf" && message.Name.EndsWith("Value", StringComparison.Ordinal)
            && message.FindFieldByName("value") is { } wrapped)
        {
            // Wrapper types (Int32Value, StringValue, …) are written as the bare value.
            return CheckSingle(value, wrapped, path);
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return Fail(path, "expected an object");
        }

        var seenOneofs = new Dictionary<OneofDescriptor, string>();
        foreach (var property in value.EnumerateObject())
        {
            var length = path.Length;
            AppendMember(path, property.Name);
            var field = FindField(message, property.Name);
            if (field is null)
            {
                return Fail(path, $"unknown field; {message.Name} has {string.Join(", ", message.Fields.InDeclarationOrder().Select(f => f.JsonName))}");
            }

            if (field.RealContainingOneof is { } oneof && property.Value.ValueKind != JsonValueKind.Null)
            {
                if (seenOneofs.TryGetValue(oneof, out var other))
                {
                    return Fail(path, $"only one of the fields of '{oneof.Name}' may be set, and '{other}' is set too");
                }

                seenOneofs[oneof] = field.JsonName;
            }

            if (CheckField(property.Value, field, path) is { } error)
            {
                return error;
            }

            path.Length = length;
        }

        return null;
    }

    private static FieldDescriptor? FindField(MessageDescriptor message, string name)
    {
        foreach (var field in message.Fields.InDeclarationOrder())
        {
            if (field.JsonName == name || field.Name == name)
            {
                return field;
            }
        }

        return null;
    }

    private static string? CheckField(JsonElement value, FieldDescriptor field, StringBuilder path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            // proto3 JSON reads null as the default, but the transcoder cannot assign null to a list or a map and
            // would refuse the body naming no field.
            return field.IsRepeated ? Fail(path, field.IsMap ? "expected an object (a map), not null; leave the field out instead" : "expected an array, not null; leave the field out instead") : null;
        }

        if (field.IsMap)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                return Fail(path, "expected an object (a map)");
            }

            var keyField = field.MessageType.FindFieldByNumber(1);
            var valueField = field.MessageType.FindFieldByNumber(2);
            foreach (var entry in value.EnumerateObject())
            {
                var length = path.Length;
                AppendMember(path, entry.Name);
                if (keyField.FieldType != FieldType.String && !IsIntegerText(entry.Name, keyField.FieldType))
                {
                    return Fail(path, $"map key '{entry.Name}' is not {Describe(keyField.FieldType)}");
                }

                if (entry.Value.ValueKind == JsonValueKind.Null && !IsProtobufValue(valueField))
                {
                    // The transcoder cannot put null into a map.
                    return Fail(path, "null is not allowed as a map value");
                }

                if (CheckSingle(entry.Value, valueField, path) is { } error)
                {
                    return error;
                }

                path.Length = length;
            }

            return null;
        }

        if (field.IsRepeated)
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                return Fail(path, "expected an array");
            }

            var index = 0;
            foreach (var element in value.EnumerateArray())
            {
                var length = path.Length;
                path.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
                if (element.ValueKind == JsonValueKind.Null && !IsProtobufValue(field))
                {
                    return Fail(path, "null is not allowed in a list");
                }

                if (CheckSingle(element, field, path) is { } error)
                {
                    return error;
                }

                path.Length = length;
                index++;
            }

            return null;
        }

        return CheckSingle(value, field, path);
    }

    private static string? CheckSingle(JsonElement value, FieldDescriptor field, StringBuilder path)
    {
        if (value.ValueKind == JsonValueKind.Null && (field.FieldType == FieldType.Message || !field.IsRepeated))
        {
            return null;
        }

        switch (field.FieldType)
        {
            case FieldType.Message:
            case FieldType.Group:
                return CheckMessage(value, field.MessageType, path);
            case FieldType.Enum:
                return CheckEnum(value, field.EnumType, path);
            case FieldType.Bool:
                return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : Fail(path, "expected true or false");
            case FieldType.String:
                return value.ValueKind == JsonValueKind.String ? null : Fail(path, "expected a string");
            case FieldType.Bytes:
                return value.ValueKind == JsonValueKind.String && IsBase64(value.GetString()!)
                    ? null
                    : Fail(path, "expected a base64 string");
            case FieldType.Float:
            case FieldType.Double:
                // As the transcoder reads them: a JSON number, or NaN and the infinities as strings.
                return value.ValueKind == JsonValueKind.Number
                    || (value.ValueKind == JsonValueKind.String && value.GetString() is "NaN" or "Infinity" or "-Infinity")
                    ? null
                    : Fail(path, "expected a number");
            default:
                return CheckInteger(value, field.FieldType, path);
        }
    }

    private static string? CheckInteger(JsonElement value, FieldType type, StringBuilder path)
    {
        // As the transcoder reads them: an integral JSON number without fraction or exponent in the type's range;
        // 64-bit integers also as decimal strings (the proto3 JSON form).
        var is64 = type is FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 or FieldType.UInt64 or FieldType.Fixed64;
        if (value.ValueKind == JsonValueKind.String && is64)
        {
            return IsIntegerText(value.GetString()!, type) ? null : Fail(path, $"expected {Describe(type)}, got '{value.GetString()}'");
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            return Fail(path, $"expected {Describe(type)}");
        }

        return IsIntegerText(value.GetRawText(), type) ? null : Fail(path, $"expected {Describe(type)}, got {value.GetRawText()}");
    }

    private static bool IsIntegerText(string text, FieldType type) => type switch
    {
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        FieldType.UInt32 or FieldType.Fixed32 => uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _),
        FieldType.UInt64 or FieldType.Fixed64 => ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _),
        _ => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
    };

    private static string Describe(FieldType type) => type switch
    {
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => "a 32-bit integer",
        FieldType.UInt32 or FieldType.Fixed32 => "a non-negative 32-bit integer",
        FieldType.UInt64 or FieldType.Fixed64 => "a non-negative 64-bit integer",
        _ => "a 64-bit integer",
    };

    private static bool IsBase64(string text)
    {
        // Proto3 JSON accepts standard and URL-safe base64, with or without padding.
        var normalized = text.Replace('-', '+').Replace('_', '/');
        normalized = normalized.PadRight(normalized.Length + ((4 - (normalized.Length % 4)) % 4), '=');
        return Convert.TryFromBase64String(normalized, new byte[normalized.Length], out _);
    }

    private static string? CheckEnum(JsonElement value, EnumDescriptor type, StringBuilder path)
    {
        if (value.ValueKind == JsonValueKind.String && type.FindValueByName(value.GetString()!) is not null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _))
        {
            return null;
        }

        var given = value.ValueKind == JsonValueKind.String ? $"'{value.GetString()}'" : value.GetRawText();
        return Fail(path, $"{given} is not one of {string.Join(", ", type.Values.Select(v => v.Name))}");
    }

    /// <summary>
    /// <c>.name</c>, or <c>["name"]</c> (JSON-escaped) for a map key that is not a plain identifier, so that the path
    /// stays readable up to its ": reason" whatever the key holds (spaces, colons, dots, brackets).
    /// </summary>
    private static void AppendMember(StringBuilder path, string name)
    {
        if (PlainMember().IsMatch(name))
        {
            if (path.Length > 0)
            {
                path.Append('.');
            }

            path.Append(name);
            return;
        }

        path.Append(path.Length == 0 ? "body" : string.Empty).Append('[').Append(JsonSerializer.Serialize(name)).Append(']');
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex PlainMember();

    /// <summary>google.protobuf.Value, whose JSON form includes null (its null_value).</summary>
    private static bool IsProtobufValue(FieldDescriptor field) =>
        field.FieldType == FieldType.Message && field.MessageType.FullName == "google.protobuf.Value";

    private static string Fail(StringBuilder path, string reason) =>
        path.Length == 0 ? $"body: {reason}" : $"{path}: {reason}";
}
