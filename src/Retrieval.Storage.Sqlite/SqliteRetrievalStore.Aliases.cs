using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>Collection aliases.</summary>
public sealed partial class SqliteRetrievalStore : IAliasStore
{
    public async Task<IReadOnlyList<StoredAlias>> ListAliasesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT alias, collection FROM aliases ORDER BY alias;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var aliases = new List<StoredAlias>();
        while (await reader.ReadAsync(cancellationToken))
        {
            aliases.Add(new StoredAlias(reader.GetString(0), reader.GetString(1)));
        }

        return aliases;
    }

    public Task ApplyAliasChangesAsync(IReadOnlyList<string> removed, IReadOnlyList<StoredAlias> upserted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(removed);
        ArgumentNullException.ThrowIfNull(upserted);
        return WriteTransactionAsync(
            async (connection, transaction, ct) =>
            {
                foreach (var alias in removed)
                {
                    await using var delete = Command(connection, transaction, "DELETE FROM aliases WHERE alias = $alias;");
                    delete.Parameters.AddWithValue("$alias", alias);
                    await delete.ExecuteNonQueryAsync(ct);
                }

                foreach (var alias in upserted)
                {
                    await using var upsert = Command(connection, transaction, """
                        INSERT INTO aliases (alias, collection, updated_at) VALUES ($alias, $collection, $now)
                        ON CONFLICT (alias) DO UPDATE SET collection = excluded.collection, updated_at = excluded.updated_at;
                        """);
                    upsert.Parameters.AddWithValue("$alias", alias.Alias);
                    upsert.Parameters.AddWithValue("$collection", alias.Collection);
                    upsert.Parameters.AddWithValue("$now", UnixMicroseconds.From(DateTimeOffset.UtcNow));
                    await upsert.ExecuteNonQueryAsync(ct);
                }

                return true;
            },
            cancellationToken);
    }
}
