using System.Text.Json;
using Microsoft.OpenApi.Models;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// Checks a JSON value against an OpenAPI schema, strictly: the type, every property declared (unless the schema allows
/// more), required properties present, enum values among the declared ones. Enough of OpenAPI 3.0 for the schemas the
/// server's document uses.
/// </summary>
internal static class SchemaConformance
{
    public static void Check(JsonElement value, OpenApiSchema schema, string path, List<string> errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (!schema.Nullable && schema.Type is not null)
            {
                errors.Add($"{path}: null where the schema says {schema.Type}");
            }

            return;
        }

        if (schema.AllOf.Count > 0)
        {
            foreach (var part in schema.AllOf)
            {
                Check(value, part, path, errors);
            }
        }

        if (schema.OneOf.Count > 0 || schema.AnyOf.Count > 0)
        {
            var alternatives = schema.OneOf.Concat(schema.AnyOf).ToList();
            if (!alternatives.Any(a => { var e = new List<string>(); Check(value, a, path, e); return e.Count == 0; }))
            {
                errors.Add($"{path}: matches none of the alternatives");
            }
        }

        switch (schema.Type)
        {
            case null:
                // No type: any JSON value (google.protobuf.Value), unless properties say it is an object.
                if (schema.Properties.Count > 0 && value.ValueKind == JsonValueKind.Object)
                {
                    CheckObject(value, schema, path, errors);
                }

                break;
            case "object":
                if (value.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"{path}: {value.ValueKind} where the schema says object");
                    return;
                }

                CheckObject(value, schema, path, errors);
                break;
            case "array":
                if (value.ValueKind != JsonValueKind.Array)
                {
                    errors.Add($"{path}: {value.ValueKind} where the schema says array");
                    return;
                }

                var index = 0;
                foreach (var element in value.EnumerateArray())
                {
                    Check(element, schema.Items, $"{path}[{index++}]", errors);
                }

                break;
            case "string":
                if (value.ValueKind != JsonValueKind.String)
                {
                    errors.Add($"{path}: {value.ValueKind} where the schema says string");
                }
                else if (schema.Enum.Count > 0 && !schema.Enum.OfType<Microsoft.OpenApi.Any.OpenApiString>().Any(e => e.Value == value.GetString()))
                {
                    errors.Add($"{path}: '{value.GetString()}' is not among the schema's enum values");
                }

                break;
            case "integer":
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out _) && !value.TryGetUInt64(out _))
                {
                    errors.Add($"{path}: {value.GetRawText()} where the schema says integer");
                }
                else if (schema.Format == "int32" && !value.TryGetInt32(out _))
                {
                    errors.Add($"{path}: {value.GetRawText()} is beyond the int32 the schema says");
                }

                break;
            case "number":
                if (value.ValueKind != JsonValueKind.Number && !(value.ValueKind == JsonValueKind.String && value.GetString() is "NaN" or "Infinity" or "-Infinity"))
                {
                    errors.Add($"{path}: {value.GetRawText()} where the schema says number");
                }

                break;
            case "boolean":
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors.Add($"{path}: {value.GetRawText()} where the schema says boolean");
                }

                break;
            default:
                errors.Add($"{path}: the schema's type '{schema.Type}' is not one this check knows");
                break;
        }
    }

    private static void CheckObject(JsonElement value, OpenApiSchema schema, string path, List<string> errors)
    {
        foreach (var property in value.EnumerateObject())
        {
            var propertyPath = $"{path}.{property.Name}";
            if (schema.Properties.TryGetValue(property.Name, out var propertySchema))
            {
                Check(property.Value, propertySchema, propertyPath, errors);
            }
            else if (schema.AdditionalProperties is { } additional)
            {
                Check(property.Value, additional, propertyPath, errors);
            }
            else if (!schema.AdditionalPropertiesAllowed || schema.Properties.Count > 0)
            {
                errors.Add($"{propertyPath}: not a property of the schema");
            }
        }

        foreach (var required in schema.Required)
        {
            if (!value.TryGetProperty(required, out _))
            {
                errors.Add($"{path}: required property '{required}' is missing");
            }
        }
    }
}
