using Retrieval.Core.Storage;

namespace Retrieval.Core.Security;

/// <summary>Makes new keys: the random token for the client and the salted-hash record for the store.</summary>
public static class ApiKeyFactory
{
    /// <summary>Longest key name accepted.</summary>
    public const int MaxNameLength = 100;

    /// <summary>
    /// A new key. <paramref name="token"/> is the only copy of the secret: hand it to the client, never store or log it.
    /// </summary>
    public static StoredApiKey Create(
        string name, ApiKeyScope scope, IReadOnlyList<string> collections, DateTimeOffset now, DateTimeOffset? expiresAt, string createdBy, out string token)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(collections);
        var (id, text) = ApiKeyToken.Generate();
        if (!ApiKeyToken.TryParse(text, out _, out var secret))
        {
            throw new InvalidOperationException("a generated key does not parse; the token layout is inconsistent");
        }

        var salt = ApiKeyHasher.NewSalt();
        token = text;
        return new StoredApiKey(id, name, scope, collections, salt, ApiKeyHasher.Hash(salt, secret), now, createdBy, expiresAt, null);
    }
}
