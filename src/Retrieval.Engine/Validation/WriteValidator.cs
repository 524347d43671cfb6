using System.Text;
using System.Text.Json;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Validation;

/// <summary>
/// Validates an upsert batch as a whole before anything is written, so a bad item rejects the batch and
/// changes nothing. Returns the items in the form the store and indexes keep (cosine vectors normalized).
/// </summary>
internal static class WriteValidator
{
    public static List<ItemWrite> ValidateUpserts(IReadOnlyList<ItemWrite> items, CollectionDefinition collection, EngineOptions options)
    {
        if (items.Count == 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("items"), "at least one item is required");
        }

        if (items.Count > options.MaxBatchItems)
        {
            throw RetrievalException.Invalid(FieldPath.Of("items"), $"{items.Count} items exceed the batch limit of {options.MaxBatchItems}");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var validated = new List<ItemWrite>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var prefix = FieldPath.Of("items").Index(i);
            Names.ValidateItemId(item.Id, prefix.Member("id"));
            if (!seen.Add(item.Id))
            {
                throw RetrievalException.Invalid(prefix.Member("id"), $"duplicate id '{item.Id}' in one batch");
            }

            ValidatePayload(item.PayloadJson, prefix.Member("payload"), options);
            var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var (spaceName, vector) in item.Vectors)
            {
                var field = prefix.Member("vectors").Key(spaceName);
                var space = collection.FindSpace(spaceName)
                    ?? throw RetrievalException.Invalid(field, $"unknown space '{spaceName}' in collection '{collection.Name}'");
                vectors.Add(spaceName, !space.IsMulti
                    ? VectorValidator.Validate(vector, space, field)
                    : vector.Length == 0
                        ? MultiVectorValidator.Validate(null, space, field)
                        : throw RetrievalException.Invalid(field.Member("rows"), $"space '{spaceName}' is multi-vector: send its token vectors as rows, not values"));
            }

            foreach (var (spaceName, rows) in item.MultiVectors ?? new Dictionary<string, IReadOnlyList<float[]>>())
            {
                var field = prefix.Member("vectors").Key(spaceName);
                var space = collection.FindSpace(spaceName)
                    ?? throw RetrievalException.Invalid(field, $"unknown space '{spaceName}' in collection '{collection.Name}'");
                if (!space.IsMulti)
                {
                    throw RetrievalException.Invalid(field.Member("values"), $"space '{spaceName}' is dense: send one vector as values, not rows");
                }

                if (!vectors.TryAdd(spaceName, MultiVectorValidator.Validate(rows, space, field)))
                {
                    throw RetrievalException.Invalid(field, "both values and rows were given");
                }
            }

            validated.Add(new ItemWrite(item.Id, item.PayloadJson, vectors, item.RawInputs));
        }

        return validated;
    }

    public static void ValidateIds(IReadOnlyList<string> ids, FieldPath field, EngineOptions options)
    {
        if (ids.Count > options.MaxBatchItems)
        {
            throw RetrievalException.Invalid(field, $"{ids.Count} ids exceed the batch limit of {options.MaxBatchItems}");
        }

        for (var i = 0; i < ids.Count; i++)
        {
            Names.ValidateItemId(ids[i], field.Index(i));
        }
    }

    private static void ValidatePayload(string? payloadJson, FieldPath field, EngineOptions options)
    {
        if (payloadJson is null)
        {
            return;
        }

        if (Encoding.UTF8.GetByteCount(payloadJson) > options.MaxPayloadBytes)
        {
            throw RetrievalException.Invalid(field, $"payload is larger than the limit of {options.MaxPayloadBytes} bytes");
        }

        try
        {
            using var document = JsonDocument.Parse(payloadJson);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw RetrievalException.Invalid(field, "payload must be a JSON object");
            }
        }
        catch (JsonException e)
        {
            throw RetrievalException.Invalid(field, $"payload is not valid JSON: {e.Message}");
        }
    }
}
