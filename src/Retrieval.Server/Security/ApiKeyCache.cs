using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Retrieval.Core.Security;
using Retrieval.Core.Storage;

namespace Retrieval.Server.Security;

/// <summary>Why a presented key was refused (for the audit log; callers all get the same answer).</summary>
public enum KeyCheck
{
    Valid,

    /// <summary>Not the layout of a key, an unknown id, or a wrong secret.</summary>
    Unknown,

    Expired,

    Revoked,

    /// <summary>The server has not read the keys from the store yet (it is starting).</summary>
    NotLoaded,
}

/// <summary>
/// Every API key in memory, so a call is authenticated without touching the store: parse the presented key, find its
/// id in a dictionary (no allocation), verify the secret against the salted hash in constant time (or, for the secret
/// the key last verified, against that secret itself, also in constant time). The store is the
/// record: the set is replaced wholesale on each refresh and patched at once after a local create or revoke.
/// </summary>
public sealed class ApiKeyCache(TimeProvider time)
{
    private static readonly byte[] DecoySalt = ApiKeyHasher.NewSalt();
    private static readonly byte[] DecoyHash = new byte[ApiKeyHasher.HashBytes];

    private readonly Lock _writeLock = new();
    private volatile Snapshot? _snapshot;
    private IReadOnlyList<StoredApiKey> _stored = [];
    private StoredApiKey? _bootstrap;

    /// <summary>True once the keys were read from the store.</summary>
    public bool IsLoaded => _snapshot is not null;

    /// <summary>Replaces the whole set with what the store holds (plus the bootstrap key).</summary>
    public void Replace(IReadOnlyList<StoredApiKey> keys)
    {
        lock (_writeLock)
        {
            _stored = keys;
            Publish();
        }
    }

    /// <summary>Adds or replaces one key (after this server created, rotated or revoked it).</summary>
    public void Put(StoredApiKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_writeLock)
        {
            _stored = [.. _stored.Where(k => k.Id != key.Id), key];
            Publish();
        }
    }

    /// <summary>The key of <see cref="AuthOptions.BootstrapKeyFile"/>: valid without being in the store.</summary>
    public void SetBootstrap(StoredApiKey key)
    {
        lock (_writeLock)
        {
            _bootstrap = key;
            if (_snapshot is not null)
            {
                Publish();
            }
        }
    }

    /// <summary>Resolves a presented key (the whole <c>rtv_…</c> text) to its caller.</summary>
    public KeyCheck Authenticate(ReadOnlySpan<char> token, out CallerIdentity? caller)
    {
        caller = null;
        var snapshot = _snapshot;
        if (!ApiKeyToken.TryParse(token, out var id, out var secret))
        {
            return snapshot is null ? KeyCheck.NotLoaded : KeyCheck.Unknown;
        }

        if (snapshot is null)
        {
            // Before the first load only the bootstrap key can be checked.
            var bootstrap = _bootstrap;
            if (bootstrap is null || !id.SequenceEqual(bootstrap.Id))
            {
                return KeyCheck.NotLoaded;
            }

            snapshot = new Snapshot([Entry.From(bootstrap)]);
        }

        if (!snapshot.Lookup.TryGetValue(id, out var entry))
        {
            // Spend the same work as a known id, so timing does not tell which ids exist.
            ApiKeyHasher.Verify(DecoySalt, DecoyHash, secret);
            return KeyCheck.Unknown;
        }

        if (!entry.Verify(secret))
        {
            return KeyCheck.Unknown;
        }

        var now = time.GetUtcNow();
        if (entry.Key.RevokedAt is { } revoked && now >= revoked)
        {
            return KeyCheck.Revoked;
        }

        if (entry.Key.ExpiresAt is { } expires && now >= expires)
        {
            return KeyCheck.Expired;
        }

        caller = entry.Caller;
        return KeyCheck.Valid;
    }

    private void Publish() =>
        _snapshot = new Snapshot([.. _stored.Select(Entry.From), .. _bootstrap is null ? [] : new[] { Entry.From(_bootstrap) }]);

    private sealed record Entry(StoredApiKey Key, CallerIdentity Caller)
    {
        /// <summary>
        /// The secret this entry last verified against its hash, kept in memory only: a client repeats its key on every
        /// call, and comparing with it (constant time) costs tens of nanoseconds where the HMAC costs over a microsecond.
        /// A wrong secret never lands here, so every wrong secret still pays the full hash. Dropped with the entry when
        /// the key set is re-read or a key changes.
        /// </summary>
        private char[]? _verified;

        public static Entry From(StoredApiKey key) =>
            new(key, new CallerIdentity(key.Id, key.Name, key.Scope, new CollectionPatterns(key.Collections)));

        public bool Verify(ReadOnlySpan<char> secret)
        {
            if (Volatile.Read(ref _verified) is { } known
                && CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(known.AsSpan()), MemoryMarshal.AsBytes(secret)))
            {
                return true;
            }

            if (!ApiKeyHasher.Verify(Key.Salt, Key.Hash, secret))
            {
                return false;
            }

            Volatile.Write(ref _verified, secret.ToArray());
            return true;
        }
    }

    private sealed class Snapshot
    {
        public Snapshot(IEnumerable<Entry> entries)
        {
            var byId = new Dictionary<string, Entry>(StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                // The bootstrap key comes last and wins over a stored key of the same id.
                byId[entry.Key.Id] = entry;
            }

            Lookup = byId.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public Dictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> Lookup { get; }
    }
}
