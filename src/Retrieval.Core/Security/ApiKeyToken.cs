using System.Security.Cryptography;

namespace Retrieval.Core.Security;

/// <summary>
/// The text form of an API key, <c>rtv_&lt;id&gt;_&lt;secret&gt;</c>: a 12-character hexadecimal id that logs and
/// lists may show, and a 43-character base64url secret (256 random bits) that is shown once, at creation.
/// </summary>
/// <remarks>
/// The id is public: it names the key in logs, audit events and <c>keys list</c>, and lets the server find the key's
/// salted hash without scanning. Only the secret authenticates. The fixed layout lets <see cref="TryParse"/> split a
/// presented key without allocating (it runs on every call).
/// </remarks>
public static class ApiKeyToken
{
    public const string Prefix = "rtv_";

    /// <summary>Length of the id (6 random bytes in hexadecimal).</summary>
    public const int IdLength = 12;

    /// <summary>Length of the secret (32 random bytes in unpadded base64url).</summary>
    public const int SecretLength = 43;

    /// <summary>Length of a whole key.</summary>
    public const int Length = 4 + IdLength + 1 + SecretLength;

    private const int SecretBytes = 32;

    /// <summary>A new random key: its id and the full text to hand to the client.</summary>
    public static (string Id, string Token) Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdLength / 2));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (id, $"{Prefix}{id}_{secret}");
    }

    /// <summary>
    /// Splits a presented key into its id and secret. False when the text does not have the layout of a key (the
    /// caller answers that like an unknown key: the reply must not help guess the format).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> token, out ReadOnlySpan<char> id, out ReadOnlySpan<char> secret)
    {
        id = default;
        secret = default;
        if (token.Length != Length || !token.StartsWith(Prefix, StringComparison.Ordinal) || token[Prefix.Length + IdLength] != '_')
        {
            return false;
        }

        id = token.Slice(Prefix.Length, IdLength);
        secret = token[(Prefix.Length + IdLength + 1)..];
        return IsLowerHex(id) && IsBase64Url(secret);
    }

    /// <summary>True when <paramref name="id"/> has the layout of a key id (12 lower-case hexadecimal characters).</summary>
    public static bool IsValidId(ReadOnlySpan<char> id) => id.Length == IdLength && IsLowerHex(id);

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsBase64Url(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
