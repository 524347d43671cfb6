using System.Text.Json;

namespace Retrieval.Engine.State;

/// <summary>An item's in-memory record: id, payload text (as stored) and the parsed payload filters read.</summary>
internal sealed class ItemSlot(string id, string payloadJson)
{
    public string Id { get; } = id;

    public string PayloadJson { get; private set; } = payloadJson;

    public JsonElement Payload { get; private set; } = Parse(payloadJson);

    public void SetPayload(string payloadJson)
    {
        PayloadJson = payloadJson;
        Payload = Parse(payloadJson);
    }

    // Clone detaches the element from the pooled document so the document can be released at once.
    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
