using Npgsql;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>The collection catalog.</summary>
public sealed partial class PostgresRetrievalStore
{
    public async Task<IReadOnlyList<CollectionDefinition>> ListCollectionsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT name, definition, created_at, updated_at, definition_version FROM collections ORDER BY name;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var collections = new List<CollectionDefinition>();
        while (await reader.ReadAsync(cancellationToken))
        {
            collections.Add(CollectionDefinitionJson.Deserialize(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetFieldValue<DateTimeOffset>(3)) with { Version = reader.GetInt64(4) });
        }

        return collections;
    }

    public async Task CreateCollectionAsync(CollectionDefinition collection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);

        // ON CONFLICT DO NOTHING instead of catching a unique violation: zero rows means the name is taken.
        await using var command = dataSource.CreateCommand("""
            INSERT INTO collections (name, definition, definition_version, last_sequence, created_at, updated_at)
            VALUES (@name, @definition, @version, 0, @created, @updated)
            ON CONFLICT (name) DO NOTHING;
            """);
        command.Parameters.AddWithValue("version", collection.Version);
        command.Parameters.AddWithValue("name", collection.Name);
        command.Parameters.AddWithValue("definition", CollectionDefinitionJson.Serialize(collection));
        command.Parameters.AddWithValue("created", collection.CreatedAt.ToUniversalTime());
        command.Parameters.AddWithValue("updated", collection.UpdatedAt.ToUniversalTime());
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw RetrievalException.AlreadyExists($"collection '{collection.Name}' already exists");
        }
    }

    public async Task UpdateCollectionAsync(CollectionDefinition collection, string? removedSpace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await UpdateDefinitionAsync(connection, transaction, collection, removedSpace, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Replaces a definition inside the caller's transaction as a compare-and-set: the stored version must be the one
    /// before <see cref="CollectionDefinition.Version"/> (Aborted otherwise: another node changed it first); NotFound when
    /// the collection is unknown. The catalog version moves and a catalog notice goes out with the commit (a trigger).
    /// </summary>
    private static async Task UpdateDefinitionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, CollectionDefinition collection, string? removedSpace, CancellationToken cancellationToken)
    {
        // created_at is set once by CreateCollectionAsync; an update only moves updated_at.
        await using (var update = new NpgsqlCommand(
            """
            UPDATE collections SET definition = @definition, definition_version = @version, updated_at = @updated
            WHERE name = @name AND definition_version = @version - 1;
            """,
            connection,
            transaction))
        {
            update.Parameters.AddWithValue("name", collection.Name);
            update.Parameters.AddWithValue("definition", CollectionDefinitionJson.Serialize(collection));
            update.Parameters.AddWithValue("version", collection.Version);
            update.Parameters.AddWithValue("updated", collection.UpdatedAt.ToUniversalTime());
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                await RequireCollectionAsync(connection, transaction, collection.Name, cancellationToken);
                throw RetrievalException.Aborted(
                    $"collection '{collection.Name}' was changed by another node meanwhile (its definition is no longer version {collection.Version - 1}); nothing was changed, send the request again");
            }
        }

        if (removedSpace is not null)
        {
            // Drops the space's entry from each item's parallel arrays; the items and their sequence stay.
            await using var remove = new NpgsqlCommand(
                """
                UPDATE items AS i SET (spaces, vectors) = (
                    SELECT COALESCE(array_agg(o.space), '{}'), COALESCE(array_agg(o.data), '{}')
                    FROM unnest(i.spaces, i.vectors) AS o(space, data) WHERE o.space <> @space)
                WHERE i.collection_key = (SELECT key FROM collections WHERE name = @name) AND @space = ANY(i.spaces);
                """,
                connection,
                transaction);
            remove.Parameters.AddWithValue("name", collection.Name);
            remove.Parameters.AddWithValue("space", removedSpace);
            await remove.ExecuteNonQueryAsync(cancellationToken);

            await using var removeInputs = new NpgsqlCommand(
                "DELETE FROM raw_inputs WHERE collection_key = (SELECT key FROM collections WHERE name = @name) AND space = @space;",
                connection,
                transaction);
            removeInputs.Parameters.AddWithValue("name", collection.Name);
            removeInputs.Parameters.AddWithValue("space", removedSpace);
            await removeInputs.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await DeleteCollectionRowsAsync(connection, transaction, name, cancellationToken))
        {
            return false;
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Deletes a collection's rows inside the caller's transaction; false when it did not exist.</summary>
    private static async Task<bool> DeleteCollectionRowsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string name, CancellationToken cancellationToken)
    {
        // The catalog row goes first: its row lock makes a concurrent write either finish before us (and its
        // rows are deleted below) or find no collection.
        int key;
        await using (var catalog = new NpgsqlCommand("DELETE FROM collections WHERE name = @name RETURNING key;", connection, transaction))
        {
            catalog.Parameters.AddWithValue("name", name);
            if (await catalog.ExecuteScalarAsync(cancellationToken) is not int deleted)
            {
                return false;
            }

            key = deleted;
        }

        await using (var rows = new NpgsqlCommand(
            """
            DELETE FROM items WHERE collection_key = @key;
            DELETE FROM tombstones WHERE collection_key = @key;
            DELETE FROM maps WHERE collection = @name;
            DELETE FROM raw_inputs WHERE collection_key = @key;
            DELETE FROM shard_snapshot_chunks WHERE collection_key = @key;
            DELETE FROM shard_snapshots WHERE collection_key = @key;
            DELETE FROM migrations WHERE collection = @name;
            DELETE FROM migration_events WHERE collection = @name;
            DELETE FROM migration_derived WHERE collection = @name;
            DELETE FROM backfill_leases WHERE collection = @name;
            DELETE FROM migration_statistics WHERE collection = @name;
            DELETE FROM migration_reservoir WHERE collection = @name;
            """,
            connection,
            transaction))
        {
            rows.Parameters.AddWithValue("name", name);
            rows.Parameters.AddWithValue("key", key);
            await rows.ExecuteNonQueryAsync(cancellationToken);
        }

        return true;
    }
}
