using Npgsql;
using Retrieval.Core.Errors;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// The PostgreSQL store of record. Each operation borrows a pooled connection from one
/// <see cref="NpgsqlDataSource"/>; writes run in READ COMMITTED transactions whose first statement locks the
/// collection's catalog row (the sequence increment), which serializes writers of one collection.
/// </summary>
public sealed partial class PostgresRetrievalStore : IRetrievalStore
{
    private readonly NpgsqlDataSource dataSource;

    /// <summary>
    /// Creates a store over the database of <paramref name="connectionString"/> (an Npgsql connection string), with
    /// <see cref="PostgresConnectionSettings"/> where the string names none.
    /// </summary>
    public PostgresRetrievalStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        dataSource = NpgsqlDataSource.Create(PostgresConnectionSettings.Apply(connectionString));
    }

    public string Kind => "postgres";

    /// <summary>
    /// Cluster mode: every committed batch also sends <c>NOTIFY retrieval_items</c> (<c>sequence:collection</c>) from
    /// inside its transaction, so the other nodes apply it at once instead of at their next poll. Off for a single node:
    /// NOTIFY takes a database-wide lock at commit that nothing would gain from.
    /// </summary>
    public bool NotifyWrites { get; init; }

    /// <summary>Checks connectivity and that <c>retrieval db migrate</c> has brought the schema to this build's version.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await PostgresSchema.VerifyAsync(connection, cancellationToken);
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1;", connection);
            await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (NpgsqlException e) when (PostgresFailures.IsConnectionLost(e))
        {
            // The idle connections in the pool are as dead as this one: dropped now, the writes after the database
            // returns open fresh ones instead of failing on stale ones first.
            dataSource.Clear();
            throw;
        }
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    private static RetrievalException CollectionNotFound(string name) =>
        RetrievalException.NotFound($"collection '{name}' does not exist");

    /// <summary>Throws NotFound unless the collection exists; returns its last sequence.</summary>
    private static async Task<long> RequireCollectionAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT last_sequence FROM collections WHERE name = @name;", connection, transaction);
        command.Parameters.AddWithValue("name", name);
        return await command.ExecuteScalarAsync(cancellationToken) is long sequence
            ? sequence
            : throw CollectionNotFound(name);
    }
}
