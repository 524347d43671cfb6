using Microsoft.Data.Sqlite;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>The collection catalog.</summary>
public sealed partial class SqliteRetrievalStore
{
    public async Task<IReadOnlyList<CollectionDefinition>> ListCollectionsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = Command(
            connection, null, "SELECT name, definition, created_at, updated_at FROM collections ORDER BY name;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var collections = new List<CollectionDefinition>();
        while (await reader.ReadAsync(cancellationToken))
        {
            collections.Add(CollectionDefinitionJson.Deserialize(
                reader.GetString(0),
                reader.GetString(1),
                UnixMicroseconds.ToDateTimeOffset(reader.GetInt64(2)),
                UnixMicroseconds.ToDateTimeOffset(reader.GetInt64(3))));
        }

        return collections;
    }

    public Task CreateCollectionAsync(CollectionDefinition collection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        return WriteTransactionAsync(
            async (connection, transaction, ct) =>
            {
                // ON CONFLICT DO NOTHING instead of catching a constraint error: zero rows means the name is taken.
                await using var command = Command(connection, transaction, """
                    INSERT INTO collections (name, definition, last_sequence, created_at, updated_at)
                    VALUES ($name, $definition, 0, $created, $updated)
                    ON CONFLICT (name) DO NOTHING;
                    """);
                command.Parameters.AddWithValue("$name", collection.Name);
                command.Parameters.AddWithValue("$definition", CollectionDefinitionJson.Serialize(collection));
                command.Parameters.AddWithValue("$created", UnixMicroseconds.From(collection.CreatedAt));
                command.Parameters.AddWithValue("$updated", UnixMicroseconds.From(collection.UpdatedAt));
                if (await command.ExecuteNonQueryAsync(ct) == 0)
                {
                    throw RetrievalException.AlreadyExists($"collection '{collection.Name}' already exists");
                }

                return true;
            },
            cancellationToken);
    }

    public Task UpdateCollectionAsync(CollectionDefinition collection, string? removedSpace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        return WriteTransactionAsync(
            async (connection, transaction, ct) =>
            {
                await UpdateDefinitionAsync(connection, transaction, collection, removedSpace, ct);
                return true;
            },
            cancellationToken);
    }

    /// <summary>
    /// Replaces a definition inside the caller's transaction as a compare-and-set on its version (the stored one must be
    /// one less; Aborted otherwise); NotFound when the collection is unknown.
    /// </summary>
    private static async Task UpdateDefinitionAsync(
        SqliteConnection connection, SqliteTransaction transaction, CollectionDefinition collection, string? removedSpace, CancellationToken ct)
    {
        // created_at is set once by CreateCollectionAsync; an update only moves updated_at.
        await using var update = Command(connection, transaction, """
            UPDATE collections SET definition = $definition, updated_at = $updated
            WHERE name = $name AND COALESCE(json_extract(definition, '$.version'), 0) = $version - 1;
            """);
        update.Parameters.AddWithValue("$name", collection.Name);
        update.Parameters.AddWithValue("$definition", CollectionDefinitionJson.Serialize(collection));
        update.Parameters.AddWithValue("$updated", UnixMicroseconds.From(collection.UpdatedAt));
        update.Parameters.AddWithValue("$version", collection.Version);
        if (await update.ExecuteNonQueryAsync(ct) == 0)
        {
            await RequireCollectionAsync(connection, transaction, collection.Name, ct);
            throw RetrievalException.Aborted(
                $"collection '{collection.Name}' was changed meanwhile (its definition is no longer version {collection.Version - 1}); nothing was changed, send the request again");
        }

        if (removedSpace is not null)
        {
            await using var remove = Command(connection, transaction, """
                DELETE FROM vectors WHERE collection = $name AND space = $space;
                DELETE FROM raw_inputs WHERE collection = $name AND space = $space;
                """);
            remove.Parameters.AddWithValue("$name", collection.Name);
            remove.Parameters.AddWithValue("$space", removedSpace);
            await remove.ExecuteNonQueryAsync(ct);
        }
    }

    public Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        return WriteTransactionAsync(
            async (connection, transaction, ct) =>
            {
                await DeleteCollectionRowsAsync(connection, transaction, name, ct);

                // The affected-row count of a multi-statement command sums all statements, so ask SQLite
                // about the last one (the catalog row) directly.
                await using var changes = Command(connection, transaction, "SELECT changes();");
                return (long)(await changes.ExecuteScalarAsync(ct))! > 0;
            },
            cancellationToken);
    }

    /// <summary>Deletes a collection's rows, its catalog row last, inside the caller's transaction.</summary>
    private static async Task DeleteCollectionRowsAsync(SqliteConnection connection, SqliteTransaction transaction, string name, CancellationToken ct)
    {
        await using var command = Command(connection, transaction, """
            DELETE FROM vectors WHERE collection = $name;
            DELETE FROM items WHERE collection = $name;
            DELETE FROM tombstones WHERE collection = $name;
            DELETE FROM maps WHERE collection = $name;
            DELETE FROM raw_inputs WHERE collection = $name;
            DELETE FROM migrations WHERE collection = $name;
            DELETE FROM migration_events WHERE collection = $name;
            DELETE FROM migration_derived WHERE collection = $name;
            DELETE FROM migration_statistics WHERE collection = $name;
            DELETE FROM migration_reservoir WHERE collection = $name;
            DELETE FROM collections WHERE name = $name;
            """);
        command.Parameters.AddWithValue("$name", name);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static RetrievalException CollectionNotFound(string name) =>
        RetrievalException.NotFound($"collection '{name}' does not exist");

    /// <summary>Throws NotFound unless the collection exists; returns its last sequence.</summary>
    private static async Task<long> RequireCollectionAsync(
        SqliteConnection connection, SqliteTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection, transaction, "SELECT last_sequence FROM collections WHERE name = $name;");
        command.Parameters.AddWithValue("$name", name);
        return await command.ExecuteScalarAsync(cancellationToken) is long sequence
            ? sequence
            : throw CollectionNotFound(name);
    }
}
