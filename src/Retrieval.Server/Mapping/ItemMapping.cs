using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine;

namespace Retrieval.Server.Mapping;

internal static class ItemMapping
{
    /// <summary>Dense vectors go to <see cref="ItemWrite.Vectors"/>, token rows to <see cref="ItemWrite.MultiVectors"/>.</summary>
    public static List<ItemWrite> ToWrites(IReadOnlyList<Item> items) =>
        items.Select((item, i) =>
        {
            var dense = new Dictionary<string, float[]>(StringComparer.Ordinal);
            var multi = new Dictionary<string, IReadOnlyList<float[]>>(StringComparer.Ordinal);
            foreach (var (space, vector) in item.Vectors)
            {
                if (VectorMapping.ToRows(vector, FieldPath.Of("items").Index(i).Member("vectors").Key(space)) is { } rows)
                {
                    multi.Add(space, rows);
                }
                else
                {
                    dense.Add(space, VectorMapping.ToArray(vector));
                }
            }

            var inputs = item.Inputs.Count == 0
                ? null
                : item.Inputs.ToDictionary(p => p.Key, p => InputMapping.ToRawInput(p.Value, FieldPath.Of("items").Index(i).Member("inputs").Key(p.Key)), StringComparer.Ordinal);
            return new ItemWrite(item.Id, PayloadMapping.ToJson(item.Payload, FieldPath.Of("items").Index(i).Member("payload")), dense, inputs) { MultiVectors = multi.Count == 0 ? null : multi };
        }).ToList();

    /// <param name="view">The item.</param>
    /// <param name="spaces">The collection's spaces, so that multi-vectors come back as rows.</param>
    public static Item ToProto(ItemView view, IReadOnlyList<SpaceDefinition>? spaces)
    {
        var item = new Item { Id = view.Id, Payload = PayloadMapping.ToStruct(view.PayloadJson) };
        VectorMapping.CopyTo(view.Vectors, item.Vectors, spaces);
        return item;
    }
}
