using Npgsql;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>Collection aliases.</summary>
public sealed partial class PostgresRetrievalStore : IAliasStore
{
    public async Task<IReadOnlyList<StoredAlias>> ListAliasesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT alias, collection FROM aliases ORDER BY alias;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var aliases = new List<StoredAlias>();
        while (await reader.ReadAsync(cancellationToken))
        {
            aliases.Add(new StoredAlias(reader.GetString(0), reader.GetString(1)));
        }

        return aliases;
    }

    public async Task ApplyAliasChangesAsync(IReadOnlyList<string> removed, IReadOnlyList<StoredAlias> upserted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(removed);
        ArgumentNullException.ThrowIfNull(upserted);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var delete = new NpgsqlCommand("DELETE FROM aliases WHERE alias = ANY(@aliases);", connection, transaction))
        {
            delete.Parameters.AddWithValue("aliases", removed.ToArray());
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var alias in upserted)
        {
            await using var upsert = new NpgsqlCommand(
                """
                INSERT INTO aliases (alias, collection, updated_at) VALUES (@alias, @collection, now())
                ON CONFLICT (alias) DO UPDATE SET collection = excluded.collection, updated_at = excluded.updated_at;
                """,
                connection,
                transaction);
            upsert.Parameters.AddWithValue("alias", alias.Alias);
            upsert.Parameters.AddWithValue("collection", alias.Collection);
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
