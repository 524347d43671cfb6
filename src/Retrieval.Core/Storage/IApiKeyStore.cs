namespace Retrieval.Core.Storage;

/// <summary>
/// The store-of-record role that keeps API keys (salted hashes only). Both stores implement it next to their other
/// roles; the server reads every key into memory and authenticates calls from there, so these run per key change and
/// per cache refresh, never per call. The store must be open (<see cref="IRetrievalStore.OpenAsync"/>).
/// </summary>
public interface IApiKeyStore
{
    /// <summary>Stores a new key. AlreadyExists when the id is taken.</summary>
    Task CreateApiKeyAsync(StoredApiKey key, CancellationToken cancellationToken);

    /// <summary>Every key, revoked and expired ones included, ordered by creation time, then id.</summary>
    Task<IReadOnlyList<StoredApiKey>> ListApiKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Revokes a key as of <paramref name="at"/> (a future time leaves it working until then: the grace period of a
    /// rotation). An earlier revocation already recorded is kept. Returns false when the key is unknown.
    /// </summary>
    Task<bool> RevokeApiKeyAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);
}
