using Retrieval.Core.Errors;

namespace Retrieval.Core.Maps;

/// <summary>Shape and finiteness checks shared by maps, anchors and loaders; failures are caller errors.</summary>
internal static class MapChecks
{
    public static void Shape(ReadOnlySpan<float> values, long expected, FieldPath field)
    {
        if (values.Length != expected)
        {
            throw RetrievalException.Invalid(field, $"expected {expected} values, got {values.Length}");
        }

        Finite(values, field);
    }

    public static void Finite(ReadOnlySpan<float> values, FieldPath field)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw RetrievalException.Invalid(field, $"value at index {i} is not finite ({values[i]})");
            }
        }
    }
}
