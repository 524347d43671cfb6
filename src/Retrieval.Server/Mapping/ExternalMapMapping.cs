using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Core.Formats;
using CoreCompatibilityMap = Retrieval.Core.Maps.CompatibilityMap;
using CoreMapKind = Retrieval.Core.Maps.MapKind;
using ExternalMapLoader = Retrieval.Core.Maps.ExternalMapLoader;

namespace Retrieval.Server.Mapping;

/// <summary>
/// Parses an uploaded external map: W and bias inline (float arrays with a shape) or as <c>.npy</c> bytes. Shapes are
/// checked here with the request's field names; the engine then checks W against the two spaces.
/// </summary>
internal static class ExternalMapMapping
{
    public static CoreCompatibilityMap ToMap(ExternalMap? external)
    {
        if (external is null || (external.Weights is null && external.WeightsNpy.IsEmpty))
        {
            throw RetrievalException.Invalid(FieldPath.Of("external").Member("weights"), "MAP_KIND_EXTERNAL needs a weight matrix (weights or weightsNpy)");
        }

        if (!external.WeightsNpy.IsEmpty)
        {
            var weights = ReadNpy(external.WeightsNpy.ToByteArray(), FieldPath.Of("external").Member("weightsNpy"));
            var bias = external.BiasNpy.IsEmpty ? null : ReadNpy(external.BiasNpy.ToByteArray(), FieldPath.Of("external").Member("biasNpy"));
            return ExternalMapLoader.FromNpy(weights, bias);
        }

        var matrix = external.Weights!;
        if (matrix.Shape.Count != 2 || matrix.Shape[0] <= 0 || matrix.Shape[1] <= 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("external").Member("weights").Member("shape"), "must be [d_in, d_out] with positive sizes");
        }

        var (dIn, dOut) = (matrix.Shape[0], matrix.Shape[1]);
        if ((long)dIn * dOut != matrix.Values.Count)
        {
            throw RetrievalException.Invalid(FieldPath.Of("external").Member("weights"), $"shape [{dIn}, {dOut}] needs {(long)dIn * dOut} values, got {matrix.Values.Count}");
        }

        if (external.Bias.Count != 0 && external.Bias.Count != dOut)
        {
            throw RetrievalException.Invalid(FieldPath.Of("external").Member("bias"), $"expected {dOut} values, got {external.Bias.Count}");
        }

        return new CoreCompatibilityMap(CoreMapKind.External, dIn, dOut, [.. matrix.Values], bias: [.. external.Bias]);
    }

    private static NpyArray ReadNpy(byte[] bytes, FieldPath field)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            return NpyFile.Read(stream);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or NotSupportedException or FormatException)
        {
            throw RetrievalException.Invalid(field, $"not a readable .npy array: {e.Message}");
        }
    }
}
