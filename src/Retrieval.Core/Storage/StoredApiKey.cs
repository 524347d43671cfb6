using Retrieval.Core.Security;

namespace Retrieval.Core.Storage;

/// <summary>
/// An API key as the store of record holds it: never the secret, only its salted hash (<see cref="ApiKeyHasher"/>).
/// </summary>
/// <param name="Id">The public id (<see cref="ApiKeyToken.IdLength"/> hex characters), unique.</param>
/// <param name="Name">A label chosen by the admin (may be empty).</param>
/// <param name="Scope">What it may do.</param>
/// <param name="Collections">Collection names and patterns; empty for every collection.</param>
/// <param name="Salt">Random per key (<see cref="ApiKeyHasher.SaltBytes"/> bytes).</param>
/// <param name="Hash">HMAC-SHA256 of the secret keyed by <paramref name="Salt"/>.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="CreatedBy">Who created it: the creating key's id, or <c>bootstrap</c> for an offline creation.</param>
/// <param name="ExpiresAt">When it stops working by itself; null for never.</param>
/// <param name="RevokedAt">When it was (or, after a rotation with a grace period, will be) revoked; null while not revoked.</param>
public sealed record StoredApiKey(
    string Id,
    string Name,
    ApiKeyScope Scope,
    IReadOnlyList<string> Collections,
    byte[] Salt,
    byte[] Hash,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt)
{
    /// <summary>True when the key authenticates at <paramref name="now"/>: neither expired nor revoked.</summary>
    public bool IsActiveAt(DateTimeOffset now) => (ExpiresAt is null || now < ExpiresAt) && (RevokedAt is null || now < RevokedAt);
}
