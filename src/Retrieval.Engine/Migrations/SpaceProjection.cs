using Retrieval.Core.Maps;
using Retrieval.Engine.Maps;

namespace Retrieval.Engine.Migrations;

/// <summary>Applies a migration map to one vector and returns it in the form the target space stores.</summary>
internal static class SpaceProjection
{
    /// <summary>
    /// <c>map(x)</c> cut to the target's <paramref name="dimension"/> (an extend map's compatible prefix) and re-normalized
    /// when the target space is cosine (<paramref name="normalize"/>), as the write validator would store it.
    /// </summary>
    public static float[] Apply(CompatibilityMap map, ReadOnlySpan<float> vector, int dimension, bool normalize)
    {
        var output = new float[map.OutputDimension];
        map.Apply(vector, output);
        var result = output.Length == dimension ? output : output.AsSpan(0, dimension).ToArray();
        if (normalize)
        {
            MapRoute.Normalize(result);
        }

        return result;
    }
}
