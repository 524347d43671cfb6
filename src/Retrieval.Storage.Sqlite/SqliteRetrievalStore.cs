using Microsoft.Data.Sqlite;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>
/// The embedded store of record: one SQLite file, <c>&lt;dataDirectory&gt;/retrieval.db</c>, in WAL mode with
/// <c>synchronous=FULL</c> so that an acknowledged write survives power loss.
/// </summary>
/// <remarks>
/// SQLite allows one writer at a time, so every write goes through one long-lived connection guarded by a
/// semaphore (no busy-retry storms between our own writers); reads open pooled connections, which WAL lets
/// run next to the writer. The schema is migrated on <see cref="OpenAsync"/>.
/// </remarks>
public sealed partial class SqliteRetrievalStore : IRetrievalStore
{
    /// <summary>How long a connection waits on a lock held by another process before failing, in ms.</summary>
    private const int BusyTimeoutMilliseconds = 10_000;

    private readonly string connectionString;
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private SqliteConnection? writer;

    /// <summary>Creates a store over <c>retrieval.db</c> in <paramref name="dataDirectory"/>, creating the directory when missing.</summary>
    public SqliteRetrievalStore(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        Directory.CreateDirectory(dataDirectory);
        DatabasePath = Path.GetFullPath(Path.Combine(dataDirectory, "retrieval.db"));
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
    }

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath { get; }

    public string Kind => "sqlite";

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (writer is not null)
        {
            throw new InvalidOperationException("the store is already open");
        }

        var connection = await OpenConnectionAsync(cancellationToken);
        try
        {
            // journal_mode is persistent in the file; synchronous is per connection and only matters for the writer.
            await ExecuteAsync(connection, "PRAGMA journal_mode = WAL;", cancellationToken);
            await ExecuteAsync(connection, "PRAGMA synchronous = FULL;", cancellationToken);
            await SqliteSchema.UpgradeAsync(connection, cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        writer = connection;
    }

    public async ValueTask DisposeAsync()
    {
        await writeLock.WaitAsync();
        try
        {
            if (writer is not null)
            {
                await writer.DisposeAsync();
                writer = null;
            }

            // Pooled readers keep the file open; release them so the directory can be moved or deleted.
            using var pooled = new SqliteConnection(connectionString);
            SqliteConnection.ClearPool(pooled);
        }
        finally
        {
            writeLock.Release();
        }
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        // A pooled reader connection: a ping must not queue behind the writer.
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, "SELECT 1;", cancellationToken);
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds};", cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction on the writer connection; commits when it returns.</summary>
    private async Task<T> WriteTransactionAsync<T>(
        Func<SqliteConnection, SqliteTransaction, CancellationToken, Task<T>> work,
        CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            var connection = writer ?? throw new InvalidOperationException("the store is not open (call OpenAsync)");

            // BEGIN IMMEDIATE: take the write lock up front instead of failing an upgrade half-way.
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            var result = await work(connection, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        finally
        {
            writeLock.Release();
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}
