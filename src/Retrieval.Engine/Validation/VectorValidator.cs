using System.Numerics.Tensors;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;

namespace Retrieval.Engine.Validation;

/// <summary>Checks a vector against its space and returns the form the index stores (normalized for cosine).</summary>
internal static class VectorValidator
{
    public static float[] Validate(float[]? vector, SpaceDefinition space, FieldPath field)
    {
        if (vector is null || vector.Length == 0)
        {
            throw RetrievalException.Invalid(field, "vector must not be empty");
        }

        if (vector.Length != space.Dimension)
        {
            throw RetrievalException.Invalid(field, $"vector has {vector.Length} components but space '{space.Name}' has dimension {space.Dimension}");
        }

        for (var i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i]))
            {
                throw RetrievalException.Invalid(field, $"component {i} is {vector[i]}; vectors must be finite (no NaN or Infinity)");
            }
        }

        if (space.Metric != Metric.Cosine)
        {
            return vector;
        }

        var norm = TensorPrimitives.Norm(vector);
        if (!(norm > 0) || !float.IsFinite(norm))
        {
            throw RetrievalException.Invalid(field, $"a zero vector has no direction; space '{space.Name}' uses cosine");
        }

        var normalized = new float[vector.Length];
        TensorPrimitives.Divide(vector, norm, normalized);
        return normalized;
    }
}
