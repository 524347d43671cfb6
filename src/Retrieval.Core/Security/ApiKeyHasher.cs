using System.Security.Cryptography;

namespace Retrieval.Core.Security;

/// <summary>
/// The at-rest form of a key's secret: HMAC-SHA256 keyed by a random per-key salt. A fast keyed hash is the right tool
/// for a 256-bit random secret (a slow password hash protects low-entropy secrets and would cost milliseconds per call);
/// the salt makes equal secrets hash differently and defeats precomputed tables.
/// </summary>
public static class ApiKeyHasher
{
    public const int SaltBytes = 16;

    public const int HashBytes = 32;

    public static byte[] NewSalt() => RandomNumberGenerator.GetBytes(SaltBytes);

    public static byte[] Hash(ReadOnlySpan<byte> salt, ReadOnlySpan<char> secret)
    {
        var hash = new byte[HashBytes];
        Hash(salt, secret, hash);
        return hash;
    }

    /// <summary>
    /// True when <paramref name="secret"/> hashes to <paramref name="expectedHash"/>. The comparison takes the same
    /// time wherever the digests differ (<see cref="CryptographicOperations.FixedTimeEquals"/>), and the presented
    /// secret is always hashed in full first, so the time does not depend on how much of it is right either.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> expectedHash, ReadOnlySpan<char> secret)
    {
        Span<byte> actual = stackalloc byte[HashBytes];
        Hash(salt, secret, actual);
        return CryptographicOperations.FixedTimeEquals(actual, expectedHash);
    }

    private static void Hash(ReadOnlySpan<byte> salt, ReadOnlySpan<char> secret, Span<byte> destination)
    {
        // Secrets are ASCII (base64url); longer text is never a valid secret but is still hashed, not rejected early.
        Span<byte> ascii = secret.Length <= 256 ? stackalloc byte[secret.Length] : new byte[secret.Length];
        for (var i = 0; i < secret.Length; i++)
        {
            ascii[i] = (byte)secret[i];
        }

        HMACSHA256.HashData(salt, ascii, destination);
    }
}
