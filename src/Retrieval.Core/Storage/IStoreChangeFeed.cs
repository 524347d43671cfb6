namespace Retrieval.Core.Storage;

/// <summary>
/// How a node of a cluster learns what other nodes committed to the shared store of record: versions it can compare
/// with what it holds (the poll), and notices the store sends when a change commits (the wake-up). Only a store that
/// several nodes share implements it; a single node follows nothing.
/// </summary>
public interface IStoreChangeFeed : IAsyncDisposable
{
    /// <summary>The catalog's version and every collection's versions, read in one snapshot.</summary>
    Task<StoreVersions> ReadVersionsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Listens on a dedicated connection: calls <paramref name="listening"/> once the store will deliver notices (so a
    /// caller can read versions after it and miss nothing), then <paramref name="notice"/> for each committed change,
    /// until <paramref name="cancellationToken"/> ends it. Throws when the connection drops; the caller reconnects and
    /// reads the versions again.
    /// </summary>
    Task ListenAsync(Action listening, Action<StoreChangeNotice> notice, CancellationToken cancellationToken);
}

/// <summary>
/// The versions of what a store holds: <see cref="Catalog"/> moves when collections are created or deleted or aliases
/// change; each collection's <see cref="CollectionVersions"/> when its definition, maps or migrations change, or items
/// are written.
/// </summary>
public sealed record StoreVersions(long Catalog, IReadOnlyDictionary<string, CollectionVersions> Collections);

/// <summary>One collection's versions.</summary>
/// <param name="Key">The store's key of the collection: a new one after a delete and a create of the same name (or a restore).</param>
/// <param name="Catalog">Moves with every change of the definition, the maps or the migrations.</param>
/// <param name="LastSequence">The last item sequence committed.</param>
public readonly record struct CollectionVersions(long Key, long Catalog, long LastSequence);

/// <summary>What a notice says changed.</summary>
public enum StoreChangeKind
{
    /// <summary>The catalog: a collection's definition, maps or migrations (<see cref="StoreChangeNotice.Collection"/>), or collections and aliases (null).</summary>
    Catalog,

    /// <summary>Items of <see cref="StoreChangeNotice.Collection"/> up to <see cref="StoreChangeNotice.Sequence"/> committed.</summary>
    Items,
}

/// <summary>One notice of a committed change.</summary>
public sealed record StoreChangeNotice(StoreChangeKind Kind, string? Collection, long Sequence);
