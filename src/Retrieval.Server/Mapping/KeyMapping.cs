using Google.Protobuf.WellKnownTypes;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Core.Security;
using Retrieval.Core.Storage;

namespace Retrieval.Server.Mapping;

/// <summary>API keys between the wire and the store (never with their secret or hash).</summary>
internal static class KeyMapping
{
    public static ApiKey ToProto(StoredApiKey key, DateTimeOffset now)
    {
        var proto = new ApiKey
        {
            Id = key.Id,
            Name = key.Name,
            Scope = (KeyScope)(int)key.Scope,
            CreatedAt = Timestamp.FromDateTimeOffset(key.CreatedAt),
            CreatedBy = key.CreatedBy,
            Active = key.IsActiveAt(now),
        };
        proto.Collections.Add(key.Collections);
        if (key.ExpiresAt is { } expires)
        {
            proto.ExpiresAt = Timestamp.FromDateTimeOffset(expires);
        }

        if (key.RevokedAt is { } revoked)
        {
            proto.RevokedAt = Timestamp.FromDateTimeOffset(revoked);
        }

        return proto;
    }

    public static ApiKeyScope ToScope(KeyScope scope, FieldPath field) => scope switch
    {
        KeyScope.Read => ApiKeyScope.Read,
        KeyScope.Write => ApiKeyScope.Write,
        KeyScope.Admin => ApiKeyScope.Admin,
        _ => throw RetrievalException.Invalid(field, "must be KEY_SCOPE_READ, KEY_SCOPE_WRITE or KEY_SCOPE_ADMIN"),
    };

    public static IReadOnlyList<string> ToCollections(IEnumerable<string> patterns, FieldPath field)
    {
        var list = patterns.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(list[i]) || list[i].Contains(',', StringComparison.Ordinal))
            {
                throw RetrievalException.Invalid(field.Index(i), "must be a collection name or a pattern with '*', without commas");
            }
        }

        return list;
    }

    public static string ToName(string name, FieldPath field) =>
        name.Length > ApiKeyFactory.MaxNameLength
            ? throw RetrievalException.Invalid(field, $"must be at most {ApiKeyFactory.MaxNameLength} characters")
            : name;

    public static string ToId(string id, FieldPath field) =>
        ApiKeyToken.IsValidId(id) ? id : throw RetrievalException.Invalid(field, "must be a key id (12 lower-case hex characters, as keys list shows)");
}
