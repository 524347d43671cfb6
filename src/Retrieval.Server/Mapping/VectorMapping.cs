using Google.Protobuf.Collections;
using Retrieval.Contracts.V1;

namespace Retrieval.Server.Mapping;

internal static class VectorMapping
{
    public static float[] ToArray(Vector? vector) => vector is null ? [] : [.. vector.Values];

    public static Vector ToProto(float[] values)
    {
        var vector = new Vector();
        vector.Values.Add(values);
        return vector;
    }

    public static void CopyTo(IReadOnlyDictionary<string, float[]>? vectors, MapField<string, Vector> target)
    {
        if (vectors is null)
        {
            return;
        }

        foreach (var (space, values) in vectors)
        {
            target.Add(space, ToProto(values));
        }
    }
}
