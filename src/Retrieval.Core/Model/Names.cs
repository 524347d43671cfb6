using System.Text;
using System.Text.RegularExpressions;
using Retrieval.Core.Errors;

namespace Retrieval.Core.Model;

/// <summary>Validation of collection/space names and item ids.</summary>
public static partial class Names
{
    /// <summary>Largest item id, in UTF-8 bytes.</summary>
    public const int MaxItemIdBytes = 256;

    [GeneratedRegex("^[a-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <summary>True for <c>[a-z0-9_-]{1,64}</c>: safe in paths, SQL identifiers and file names.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Throws INVALID_ARGUMENT naming <paramref name="field"/> unless the name is valid.</summary>
    public static void ValidateName(string? name, FieldPath field)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw RetrievalException.Invalid(field, "is required");
        }

        if (!IsValidName(name))
        {
            throw RetrievalException.Invalid(field, $"'{Truncate(name)}' must match [a-z0-9_-]{{1,64}}");
        }
    }

    /// <summary>Throws INVALID_ARGUMENT unless the id is non-empty and at most 256 UTF-8 bytes.</summary>
    public static void ValidateItemId(string? id, FieldPath field)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw RetrievalException.Invalid(field, "item id must not be empty");
        }

        if (Encoding.UTF8.GetByteCount(id) > MaxItemIdBytes)
        {
            throw RetrievalException.Invalid(field, $"item id is longer than {MaxItemIdBytes} UTF-8 bytes");
        }
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : string.Concat(s.AsSpan(0, 80), "…");
}
