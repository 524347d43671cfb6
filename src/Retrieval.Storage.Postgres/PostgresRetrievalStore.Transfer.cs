using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;
using Retrieval.Core.Errors;
using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// The transfer role: a collection's rows out of one REPEATABLE READ transaction, and back in with one transaction
/// whose bulk rows travel by binary COPY. Rows keep their sequence numbers and times, so a restored collection is the
/// same sequence log.
/// </summary>
public sealed partial class PostgresRetrievalStore
{
    public async Task<T> ExportCollectionAsync<T>(
        string collection, Func<CollectionRows, CancellationToken, Task<T>> consume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(consume);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        // The snapshot is taken by the first statement and holds for every later one; writers are not blocked.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var (definition, lastSequence, key) = await ReadCatalogRowAsync(connection, transaction, collection, cancellationToken);
        var rows = new CollectionRows(
            definition,
            lastSequence,
            ReadChangesAsync(connection, transaction, collection, 0, cancellationToken),
            ReadAllRawInputsAsync(connection, transaction, key, cancellationToken),
            ReadRowsAsync(connection, transaction, $"SELECT {MapColumns} FROM maps WHERE collection = @collection ORDER BY created_at, id;",
                collection, ReadMapsAsync, cancellationToken),
            ReadRowsAsync(connection, transaction, $"SELECT {MigrationColumns} FROM migrations WHERE collection = @collection ORDER BY created_at, id;",
                collection, ReadMigrationsAsync, cancellationToken),
            ReadAllMigrationEventsAsync(connection, transaction, collection, cancellationToken),
            ReadAllDerivedItemsAsync(connection, transaction, collection, cancellationToken));
        var result = await consume(rows, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    public async Task ImportCollectionAsync(CollectionRows rows, bool replace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var name = rows.Definition.Name;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (replace)
        {
            await DeleteCollectionRowsAsync(connection, transaction, name, cancellationToken);
        }

        var key = await InsertCatalogRowAsync(connection, transaction, rows.Definition, rows.LastSequence, cancellationToken);
        await CopyChangesAsync(connection, key, rows.Changes, cancellationToken);
        await CopyRawInputsAsync(connection, key, rows.RawInputs, cancellationToken);
        await InsertMapsAsync(connection, transaction, name, rows.Maps, cancellationToken);
        await InsertMigrationsAsync(connection, transaction, name, rows.Migrations, cancellationToken);
        await CopyMigrationEventsAsync(connection, name, rows.MigrationEvents, cancellationToken);
        await CopyDerivedItemsAsync(connection, name, rows.DerivedItems, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<(CollectionDefinition Definition, long LastSequence, int Key)> ReadCatalogRowAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string collection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT definition, last_sequence, created_at, updated_at, key FROM collections WHERE name = @name;", connection, transaction);
        command.Parameters.AddWithValue("name", collection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw CollectionNotFound(collection);
        }

        var definition = CollectionDefinitionJson.Deserialize(
            collection, reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3));
        return (definition, reader.GetInt64(1), reader.GetInt32(4));
    }

    private static async IAsyncEnumerable<StoredRawInput> ReadAllRawInputsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int key, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT item_id, space, kind, content FROM raw_inputs WHERE collection_key = @key ORDER BY item_id, space;", connection, transaction);
        command.Parameters.AddWithValue("key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredRawInput(
                reader.GetString(0), reader.GetString(1), new RawInput((RawInputKind)reader.GetInt32(2), reader.GetFieldValue<byte[]>(3)));
        }
    }

    private static async IAsyncEnumerable<MigrationEvent> ReadAllMigrationEventsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string collection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT migration_id, at, from_phase, to_phase, actor, note FROM migration_events WHERE collection = @collection ORDER BY event_no;",
            connection,
            transaction);
        command.Parameters.AddWithValue("collection", collection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new MigrationEvent(
                reader.GetString(0),
                reader.GetFieldValue<DateTimeOffset>(1),
                reader.IsDBNull(2) ? null : (MigrationPhase)reader.GetInt32(2),
                (MigrationPhase)reader.GetInt32(3),
                reader.GetString(4),
                reader.GetString(5));
        }
    }

    private static async IAsyncEnumerable<MigrationDerivedItem> ReadAllDerivedItemsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string collection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT migration_id, item_id FROM migration_derived WHERE collection = @collection ORDER BY migration_id, item_id;",
            connection,
            transaction);
        command.Parameters.AddWithValue("collection", collection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new MigrationDerivedItem(reader.GetString(0), reader.GetString(1));
        }
    }

    /// <summary>The few rows of a small table (maps, migrations), read whole by the role's own row reader.</summary>
    private static async IAsyncEnumerable<TRow> ReadRowsAsync<TRow>(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string sql,
        string collection,
        Func<NpgsqlCommand, CancellationToken, Task<List<TRow>>> read,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("collection", collection);
        foreach (var row in await read(command, cancellationToken))
        {
            yield return row;
        }
    }

    private static async Task<int> InsertCatalogRowAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, CollectionDefinition definition, long lastSequence, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO collections (name, definition, definition_version, last_sequence, created_at, updated_at)
            VALUES (@name, @definition, @version, @sequence, @created, @updated)
            ON CONFLICT (name) DO NOTHING
            RETURNING key;
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("name", definition.Name);
        command.Parameters.AddWithValue("definition", CollectionDefinitionJson.Serialize(definition));
        command.Parameters.AddWithValue("sequence", lastSequence);
        command.Parameters.AddWithValue("version", definition.Version);
        command.Parameters.AddWithValue("created", definition.CreatedAt.ToUniversalTime());
        command.Parameters.AddWithValue("updated", definition.UpdatedAt.ToUniversalTime());
        return await command.ExecuteScalarAsync(cancellationToken) is int key
            ? key
            : throw RetrievalException.AlreadyExists($"collection '{definition.Name}' already exists");
    }

    private static async Task CopyChangesAsync(NpgsqlConnection connection, int key, IAsyncEnumerable<ItemChange> changes, CancellationToken cancellationToken)
    {
        // Tombstones are few next to items: kept aside and copied after the items (COPY streams one table at a time).
        var tombstones = new List<ItemChange>();
        await using (var items = await connection.BeginBinaryImportAsync(
            "COPY items (collection_key, seq, id, payload, spaces, vectors, shard) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            await foreach (var change in changes.WithCancellation(cancellationToken))
            {
                if (change.Item is not { } item)
                {
                    tombstones.Add(change);
                    continue;
                }

                await items.StartRowAsync(cancellationToken);
                await items.WriteAsync(key, NpgsqlDbType.Integer, cancellationToken);
                await items.WriteAsync(item.Sequence, NpgsqlDbType.Bigint, cancellationToken);
                await items.WriteAsync(item.Id, NpgsqlDbType.Text, cancellationToken);
                await items.WriteAsync(item.PayloadJson, NpgsqlDbType.Text, cancellationToken);
                await items.WriteAsync(item.Vectors.Keys.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                await items.WriteAsync(item.Vectors.Values.Select(v => VectorBytes.Encode(v)).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bytea, cancellationToken);
                await items.WriteAsync(checked((short)change.Shard), NpgsqlDbType.Smallint, cancellationToken);
            }

            await items.CompleteAsync(cancellationToken);
        }

        await using var deleted = await connection.BeginBinaryImportAsync(
            "COPY tombstones (collection_key, seq, id, shard) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var tombstone in tombstones)
        {
            await deleted.StartRowAsync(cancellationToken);
            await deleted.WriteAsync(key, NpgsqlDbType.Integer, cancellationToken);
            await deleted.WriteAsync(tombstone.Sequence, NpgsqlDbType.Bigint, cancellationToken);
            await deleted.WriteAsync(tombstone.Id, NpgsqlDbType.Text, cancellationToken);
            await deleted.WriteAsync(checked((short)tombstone.Shard), NpgsqlDbType.Smallint, cancellationToken);
        }

        await deleted.CompleteAsync(cancellationToken);
    }

    private static async Task CopyRawInputsAsync(NpgsqlConnection connection, int key, IAsyncEnumerable<StoredRawInput> inputs, CancellationToken cancellationToken)
    {
        await using var copy = await connection.BeginBinaryImportAsync(
            "COPY raw_inputs (collection_key, item_id, space, kind, content) FROM STDIN (FORMAT BINARY)", cancellationToken);
        await foreach (var input in inputs.WithCancellation(cancellationToken))
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(key, NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteAsync(input.ItemId, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(input.Space, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync((int)input.Input.Kind, NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteAsync(input.Input.Content, NpgsqlDbType.Bytea, cancellationToken);
        }

        await copy.CompleteAsync(cancellationToken);
    }

    private static async Task InsertMapsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string collection, IAsyncEnumerable<StoredMap> maps, CancellationToken cancellationToken)
    {
        await foreach (var map in maps.WithCancellation(cancellationToken))
        {
            await using var command = new NpgsqlCommand(
                $"INSERT INTO maps ({MapColumns}) VALUES (@collection, @id, @from, @to, @kind, @state, @data, @report, @created, @updated);",
                connection,
                transaction);
            command.Parameters.AddWithValue("collection", collection);
            command.Parameters.AddWithValue("id", map.Id);
            command.Parameters.AddWithValue("from", map.FromSpace);
            command.Parameters.AddWithValue("to", map.ToSpace);
            command.Parameters.AddWithValue("kind", (int)map.Kind);
            command.Parameters.AddWithValue("state", (int)map.State);
            command.Parameters.AddWithValue("data", map.Data);
            command.Parameters.AddWithValue("report", map.ReportJson);
            command.Parameters.AddWithValue("created", map.CreatedAt.ToUniversalTime());
            command.Parameters.AddWithValue("updated", map.UpdatedAt.ToUniversalTime());
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task InsertMigrationsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string collection, IAsyncEnumerable<StoredMigration> migrations, CancellationToken cancellationToken)
    {
        await foreach (var stored in migrations.WithCancellation(cancellationToken))
        {
            var migration = stored with { Collection = collection };
            await using var insert = new NpgsqlCommand(
                $"""
                INSERT INTO migrations ({MigrationColumns}) VALUES (@collection, @id, @from, @to, @encoder, @phase, @settings, @map, @inverse,
                    @calibration, @cursor, @checkpoint, @backfilled, @mapped, @derived, @previous, @created, @updated, @by);
                """,
                connection,
                transaction);
            BindMigration(insert, migration);
            insert.Parameters.AddWithValue("cursor", (object?)migration.WorkerCursor ?? DBNull.Value);
            insert.Parameters.AddWithValue("checkpoint", (object?)migration.ClientCheckpoint ?? DBNull.Value);
            insert.Parameters.AddWithValue("backfilled", migration.Backfilled);
            insert.Parameters.AddWithValue("mapped", migration.MappedOnWrite);
            insert.Parameters.AddWithValue("derived", migration.DerivedOnWrite);
            insert.Parameters.AddWithValue("created", migration.CreatedAt.ToUniversalTime());
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task CopyMigrationEventsAsync(
        NpgsqlConnection connection, string collection, IAsyncEnumerable<MigrationEvent> events, CancellationToken cancellationToken)
    {
        // event_no is generated in insertion order, so the trail keeps its order.
        await using var copy = await connection.BeginBinaryImportAsync(
            "COPY migration_events (collection, migration_id, at, from_phase, to_phase, actor, note) FROM STDIN (FORMAT BINARY)", cancellationToken);
        await foreach (var e in events.WithCancellation(cancellationToken))
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(collection, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(e.MigrationId, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(e.At.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken);
            if (e.FromPhase is { } from)
            {
                await copy.WriteAsync((int)from, NpgsqlDbType.Integer, cancellationToken);
            }
            else
            {
                await copy.WriteNullAsync(cancellationToken);
            }

            await copy.WriteAsync((int)e.ToPhase, NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteAsync(e.Actor, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(e.Note, NpgsqlDbType.Text, cancellationToken);
        }

        await copy.CompleteAsync(cancellationToken);
    }

    private static async Task CopyDerivedItemsAsync(
        NpgsqlConnection connection, string collection, IAsyncEnumerable<MigrationDerivedItem> items, CancellationToken cancellationToken)
    {
        await using var copy = await connection.BeginBinaryImportAsync(
            "COPY migration_derived (collection, migration_id, item_id) FROM STDIN (FORMAT BINARY)", cancellationToken);
        await foreach (var item in items.WithCancellation(cancellationToken))
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(collection, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(item.MigrationId, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(item.ItemId, NpgsqlDbType.Text, cancellationToken);
        }

        await copy.CompleteAsync(cancellationToken);
    }
}
