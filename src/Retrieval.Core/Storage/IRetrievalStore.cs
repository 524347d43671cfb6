namespace Retrieval.Core.Storage;

/// <summary>
/// The store of record: every role a store plays, and its lifetime. Every index is derived from it. Implementations: SQLite
/// (embedded default) and PostgreSQL. All methods are safe to call concurrently. Code that needs one role takes that role's
/// interface (<see cref="ICatalogStore"/>, <see cref="IItemStore"/>, <see cref="IRawInputStore"/>, <see cref="IMapStore"/>,
/// <see cref="IMigrationStore"/>, <see cref="IAliasStore"/>).
/// </summary>
public interface IRetrievalStore : ICatalogStore, IItemStore, IRawInputStore, IMapStore, IMigrationStore, IAliasStore, IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Kind { get; }

    /// <summary>
    /// Opens the store. SQLite creates or upgrades its schema; PostgreSQL verifies that its schema is current
    /// and throws <see cref="StoreSchemaException"/> when <c>retrieval db migrate</c> has not been run.
    /// </summary>
    Task OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs the cheapest statement the store has (<c>SELECT 1</c>) on a connection, for a readiness check: returns when
    /// the store answers, throws when it cannot be reached. Bounded by <paramref name="cancellationToken"/>.
    /// </summary>
    Task PingAsync(CancellationToken cancellationToken);
}
