using System.Numerics.Tensors;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;

namespace Retrieval.Engine.Validation;

/// <summary>
/// Checks a multi-vector (token rows) against its space and returns it row-major, each row normalized when the space
/// uses cosine: at least one row, at most the space's token limit, every row of the space's dimension, all finite.
/// </summary>
internal static class MultiVectorValidator
{
    public static float[] Validate(IReadOnlyList<float[]>? rows, SpaceDefinition space, FieldPath field)
    {
        var settings = space.MultiVector!;
        if (rows is null || rows.Count == 0)
        {
            throw RetrievalException.Invalid(field.Member("rows"), $"a multi-vector needs at least one token row (space '{space.Name}' is multi-vector)");
        }

        if (rows.Count > settings.MaxTokens)
        {
            throw RetrievalException.Invalid(field.Member("rows"), $"{rows.Count} token rows exceed the limit of {settings.MaxTokens} of space '{space.Name}'");
        }

        var d = space.Dimension;
        var values = new float[checked(rows.Count * d)];
        for (var t = 0; t < rows.Count; t++)
        {
            var row = rows[t];
            var rowField = field.Member("rows").Index(t);
            if (row is null || row.Length == 0)
            {
                throw RetrievalException.Invalid(rowField, "token row must not be empty");
            }

            if (row.Length != d)
            {
                var ragged = t > 0 && rows[0] is { } first && first.Length != row.Length ? $" (row 0 has {first.Length}: ragged rows)" : "";
                throw RetrievalException.Invalid(rowField, $"token row has {row.Length} components but space '{space.Name}' has dimension {d}{ragged}");
            }

            for (var i = 0; i < d; i++)
            {
                if (!float.IsFinite(row[i]))
                {
                    throw RetrievalException.Invalid(rowField, $"component {i} is {row[i]}; vectors must be finite (no NaN or Infinity)");
                }
            }

            var target = values.AsSpan(t * d, d);
            if (space.Metric == Metric.Cosine)
            {
                var norm = TensorPrimitives.Norm(row);
                if (!(norm > 0) || !float.IsFinite(norm))
                {
                    throw RetrievalException.Invalid(rowField, $"a zero token vector has no direction; space '{space.Name}' uses cosine");
                }

                TensorPrimitives.Divide(row, norm, target);
            }
            else
            {
                row.CopyTo(target);
            }
        }

        return values;
    }
}
