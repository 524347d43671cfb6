using System.Buffers.Text;
using System.Text;
using Retrieval.Core.Errors;

namespace Retrieval.Engine;

/// <summary>Opaque scroll cursor: the base64url of the last id returned (ids are scrolled in ordinal order).</summary>
internal static class ScrollCursor
{
    public static string Encode(string lastId) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastId));

    public static string? Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            throw RetrievalException.Invalid(FieldPath.Of("cursor"), "is not a cursor returned by a previous scroll");
        }
    }
}
