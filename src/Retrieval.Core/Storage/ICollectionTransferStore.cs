namespace Retrieval.Core.Storage;

/// <summary>
/// The store's transfer role: one collection's rows out and back in, whole and unchanged, for collection snapshots
/// (backup and restore, also between store kinds). The store copies rows; what a snapshot holds, how it is checked and
/// when a restore may replace a collection are the engine's rules.
/// </summary>
public interface ICollectionTransferStore
{
    /// <summary>
    /// Reads every row of <paramref name="collection"/> at one consistent point, in one read transaction (SQLite: one WAL
    /// snapshot; PostgreSQL: REPEATABLE READ), so the rows are exactly those of <see cref="CollectionRows.LastSequence"/>
    /// while writers go on. <paramref name="consume"/> must read each sequence of the rows once, in order, before it
    /// returns; the transaction ends then. NotFound when the collection is unknown.
    /// </summary>
    Task<T> ExportCollectionAsync<T>(string collection, Func<CollectionRows, CancellationToken, Task<T>> consume, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a collection's rows in one transaction, under <see cref="CollectionRows.Definition"/>'s name (the
    /// collection fields of maps and migrations are ignored): all of it or, when anything fails, nothing. With
    /// <paramref name="replace"/> an existing collection of that name is deleted in the same transaction; without it an
    /// existing one fails with AlreadyExists. Reads each sequence once, in order.
    /// </summary>
    Task ImportCollectionAsync(CollectionRows rows, bool replace, CancellationToken cancellationToken);
}
