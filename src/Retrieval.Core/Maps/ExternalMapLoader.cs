using Retrieval.Core.Formats;
using Retrieval.Core.Errors;

namespace Retrieval.Core.Maps;

/// <summary>Builds an <see cref="MapKind.External"/> map from uploaded <c>.npy</c> arrays.</summary>
public static class ExternalMapLoader
{
    /// <summary>
    /// <c>W</c> must be 2-D <c>(d_in, d_out)</c>; the optional bias 1-D <c>(d_out,)</c>; both finite (float32 or float64).
    /// The result is then checked against the spaces by <see cref="MapFitter.ValidateExternal"/>.
    /// </summary>
    /// <exception cref="RetrievalException">InvalidArgument on <c>external.weights</c> / <c>external.bias</c>.</exception>
    public static CompatibilityMap FromNpy(NpyArray weights, NpyArray? bias = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Shape.Count != 2 || weights.DType is not (NpyDType.F4 or NpyDType.F8))
        {
            throw RetrievalException.Invalid(FieldPath.Of("external").Member("weights"), $"expected a 2-D float matrix (d_in, d_out), got {weights.DType} of shape ({string.Join(", ", weights.Shape)})");
        }

        var dIn = weights.Shape[0];
        var dOut = weights.Shape[1];
        float[] b = [];
        if (bias is not null)
        {
            if (bias.Shape.Count != 1 || bias.Shape[0] != dOut || bias.DType is not (NpyDType.F4 or NpyDType.F8))
            {
                throw RetrievalException.Invalid(FieldPath.Of("external").Member("bias"), $"expected a float vector of length {dOut}, got {bias.DType} of shape ({string.Join(", ", bias.Shape)})");
            }

            b = bias.ToSingleArray();
        }

        return new CompatibilityMap(MapKind.External, dIn, dOut, weights.ToSingleArray(), bias: b);
    }
}
