using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Retrieval.Core.Errors;

namespace Retrieval.Server.Mapping;

/// <summary>Payloads travel as protobuf <see cref="Struct"/> and are kept as JSON object text.</summary>
internal static class PayloadMapping
{
    /// <summary>
    /// The payload as JSON text. A Struct that has no JSON form (an empty key, a value with no kind set, a non-finite
    /// number) is refused naming <paramref name="path"/>: the formatter's InvalidOperationException would otherwise
    /// surface as INTERNAL (the fuzz tests found it).
    /// </summary>
    public static string? ToJson(Struct? payload, FieldPath path)
    {
        if (payload is null)
        {
            return null;
        }

        try
        {
            return JsonFormatter.Default.Format(payload);
        }
        catch (InvalidOperationException e)
        {
            throw RetrievalException.Invalid(path, $"payload has no JSON form: {e.Message}");
        }
    }

    public static Struct ToStruct(string json) => JsonParser.Default.Parse<Struct>(json);
}
