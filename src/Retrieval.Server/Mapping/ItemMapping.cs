using Retrieval.Contracts.V1;
using Retrieval.Core.Storage;
using Retrieval.Engine;

namespace Retrieval.Server.Mapping;

internal static class ItemMapping
{
    public static List<ItemWrite> ToWrites(IReadOnlyList<Item> items) =>
        items.Select((item, i) => new ItemWrite(
            item.Id,
            PayloadMapping.ToJson(item.Payload),
            item.Vectors.ToDictionary(v => v.Key, v => VectorMapping.ToArray(v.Value), StringComparer.Ordinal),
            item.Inputs.Count == 0
                ? null
                : item.Inputs.ToDictionary(p => p.Key, p => InputMapping.ToRawInput(p.Value, $"items[{i}].inputs.{p.Key}"), StringComparer.Ordinal))).ToList();

    public static Item ToProto(ItemView view)
    {
        var item = new Item { Id = view.Id, Payload = PayloadMapping.ToStruct(view.PayloadJson) };
        VectorMapping.CopyTo(view.Vectors, item.Vectors);
        return item;
    }
}
