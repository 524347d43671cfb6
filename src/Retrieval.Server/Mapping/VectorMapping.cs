using Google.Protobuf.Collections;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;

namespace Retrieval.Server.Mapping;

internal static class VectorMapping
{
    /// <summary>The dense values as one exactly sized array (a single copy out of the parsed message).</summary>
    public static float[] ToArray(Vector? vector)
    {
        if (vector is null || vector.Values.Count == 0)
        {
            return [];
        }

        var values = new float[vector.Values.Count];
        vector.Values.CopyTo(values, 0);
        return values;
    }

    /// <summary>
    /// The token rows of a multi-vector message, or null when it has none (a dense vector). Rows must be plain
    /// vectors: nested rows, or values next to rows, are rejected naming <paramref name="field"/>.
    /// </summary>
    public static IReadOnlyList<float[]>? ToRows(Vector? vector, FieldPath field)
    {
        if (vector is null || vector.Rows.Count == 0)
        {
            return null;
        }

        if (vector.Values.Count > 0)
        {
            throw RetrievalException.Invalid(field, "set either values (a dense vector) or rows (a multi-vector), not both");
        }

        var rows = new float[vector.Rows.Count][];
        for (var t = 0; t < rows.Length; t++)
        {
            if (vector.Rows[t].Rows.Count > 0)
            {
                throw RetrievalException.Invalid(field.Member("rows").Index(t), "a token row holds values, not rows");
            }

            rows[t] = [.. vector.Rows[t].Values];
        }

        return rows;
    }

    public static Vector ToProto(float[] values)
    {
        var vector = new Vector();
        vector.Values.Add(values);
        return vector;
    }

    /// <summary>Row-major token vectors of dimension <paramref name="dimension"/> as a message with rows.</summary>
    public static Vector ToRowsProto(float[] values, int dimension)
    {
        var vector = new Vector();
        for (var offset = 0; offset < values.Length; offset += dimension)
        {
            var row = new Vector();
            row.Values.Add(values.AsSpan(offset, dimension).ToArray());
            vector.Rows.Add(row);
        }

        return vector;
    }

    /// <summary>
    /// Copies an item's vectors into a message map; vectors of the multi-vector spaces in <paramref name="spaces"/>
    /// (the collection's spaces) become rows.
    /// </summary>
    public static void CopyTo(IReadOnlyDictionary<string, float[]>? vectors, MapField<string, Vector> target, IReadOnlyList<SpaceDefinition>? spaces = null)
    {
        if (vectors is null)
        {
            return;
        }

        foreach (var (space, values) in vectors)
        {
            target.Add(space, Find(spaces, space) is { IsMulti: true } multi
                ? ToRowsProto(values, multi.Dimension)
                : ToProto(values));
        }
    }

    private static SpaceDefinition? Find(IReadOnlyList<SpaceDefinition>? spaces, string name)
    {
        if (spaces is null)
        {
            return null;
        }

        for (var i = 0; i < spaces.Count; i++)
        {
            if (spaces[i].Name == name)
            {
                return spaces[i];
            }
        }

        return null;
    }
}
