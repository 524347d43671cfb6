using System.Text.Json;

namespace Retrieval.Core.Filtering;

/// <summary>Evaluates a <see cref="PayloadFilter"/> against a parsed JSON payload object.</summary>
public static class FilterEvaluator
{
    public static bool Matches(PayloadFilter filter, JsonElement payload)
    {
        ArgumentNullException.ThrowIfNull(filter);
        foreach (var condition in filter.Must)
        {
            if (!Matches(condition, payload))
            {
                return false;
            }
        }

        foreach (var condition in filter.MustNot)
        {
            if (Matches(condition, payload))
            {
                return false;
            }
        }

        if (filter.Should.Count == 0)
        {
            return true;
        }

        foreach (var condition in filter.Should)
        {
            if (Matches(condition, payload))
            {
                return true;
            }
        }

        return false;
    }

    public static bool Matches(FilterCondition condition, JsonElement payload)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (!TryResolve(payload, condition.Path, out var field))
        {
            return false;
        }

        if (field.ValueKind == JsonValueKind.Array)
        {
            foreach (var element in field.EnumerateArray())
            {
                if (MatchesScalar(condition, element))
                {
                    return true;
                }
            }

            return false;
        }

        return MatchesScalar(condition, field);
    }

    private static bool MatchesScalar(FilterCondition condition, JsonElement field)
    {
        if (condition.Range is { } range)
        {
            return field.ValueKind == JsonValueKind.Number && range.Contains(field.GetDouble());
        }

        foreach (var value in condition.Match!.Values)
        {
            if (Equal(value, field))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Equal(ScalarValue value, JsonElement field) => value.Kind switch
    {
        ScalarKind.Text => field.ValueKind == JsonValueKind.String && field.ValueEquals(value.Text),
        // Payload numbers arrive through protobuf Struct as doubles; compare as doubles.
        ScalarKind.Number => field.ValueKind == JsonValueKind.Number && field.GetDouble() == value.Number,
        ScalarKind.Flag => field.ValueKind == (value.Boolean ? JsonValueKind.True : JsonValueKind.False),
        _ => false,
    };

    private static bool TryResolve(JsonElement payload, IReadOnlyList<string> path, out JsonElement field)
    {
        field = payload;
        foreach (var segment in path)
        {
            if (field.ValueKind != JsonValueKind.Object || !field.TryGetProperty(segment, out field))
            {
                return false;
            }
        }

        return true;
    }
}
