using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Retrieval.Core.Errors;
using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>
/// The transfer role: a collection's rows out of one read transaction, and back in with one write transaction. Rows
/// keep their sequence numbers and times, so a restored collection is the same sequence log.
/// </summary>
public sealed partial class SqliteRetrievalStore
{
    public async Task<T> ExportCollectionAsync<T>(
        string collection, Func<CollectionRows, CancellationToken, Task<T>> consume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(consume);
        await using var connection = await OpenConnectionAsync(cancellationToken);

        // A deferred transaction's first read fixes its WAL snapshot: every later read sees the same committed state,
        // and writers go on beside it.
        await using var transaction = connection.BeginTransaction(deferred: true);
        var (definition, lastSequence) = await ReadCatalogRowAsync(connection, transaction, collection, cancellationToken);
        var rows = new CollectionRows(
            definition,
            lastSequence,
            ReadChangesAsync(connection, transaction, collection, 0, cancellationToken),
            ReadAllRawInputsAsync(connection, transaction, collection, cancellationToken),
            ReadRowsAsync(connection, transaction, $"SELECT {MapColumns} FROM maps WHERE collection = $collection ORDER BY created_at, id;",
                collection, ReadMapsAsync, cancellationToken),
            ReadRowsAsync(connection, transaction, $"SELECT {MigrationColumns} FROM migrations WHERE collection = $collection ORDER BY created_at, id;",
                collection, ReadMigrationsAsync, cancellationToken),
            ReadAllMigrationEventsAsync(connection, transaction, collection, cancellationToken),
            ReadAllDerivedItemsAsync(connection, transaction, collection, cancellationToken));
        return await consume(rows, cancellationToken);
    }

    public Task ImportCollectionAsync(CollectionRows rows, bool replace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var name = rows.Definition.Name;
        return WriteTransactionAsync(
            async (connection, transaction, ct) =>
            {
                if (replace)
                {
                    await DeleteCollectionRowsAsync(connection, transaction, name, ct);
                }

                await InsertCatalogRowAsync(connection, transaction, rows.Definition, rows.LastSequence, ct);
                await InsertChangesAsync(connection, transaction, name, rows.Changes, ct);
                await InsertRawInputsAsync(connection, transaction, name, rows.RawInputs, ct);
                await InsertMapsAsync(connection, transaction, name, rows.Maps, ct);
                await InsertMigrationsAsync(connection, transaction, name, rows.Migrations, ct);
                await InsertMigrationEventsAsync(connection, transaction, name, rows.MigrationEvents, ct);
                await InsertDerivedItemsAsync(connection, transaction, name, rows.DerivedItems, ct);
                return true;
            },
            cancellationToken);
    }

    private static async Task<(CollectionDefinition Definition, long LastSequence)> ReadCatalogRowAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection, transaction, "SELECT definition, last_sequence, created_at, updated_at FROM collections WHERE name = $name;");
        command.Parameters.AddWithValue("$name", collection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw CollectionNotFound(collection);
        }

        var definition = CollectionDefinitionJson.Deserialize(
            collection,
            reader.GetString(0),
            UnixMicroseconds.ToDateTimeOffset(reader.GetInt64(2)),
            UnixMicroseconds.ToDateTimeOffset(reader.GetInt64(3)));
        return (definition, reader.GetInt64(1));
    }

    private static async IAsyncEnumerable<StoredRawInput> ReadAllRawInputsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, """
            SELECT item_id, space, kind, content FROM raw_inputs WHERE collection = $collection ORDER BY item_id, space;
            """);
        command.Parameters.AddWithValue("$collection", collection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredRawInput(reader.GetString(0), reader.GetString(1), new RawInput((RawInputKind)reader.GetInt32(2), (byte[])reader.GetValue(3)));
        }
    }

    private static async IAsyncEnumerable<MigrationEvent> ReadAllMigrationEventsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, """
            SELECT migration_id, at, from_phase, to_phase, actor, note FROM migration_events WHERE collection = $collection ORDER BY event_no;
            """);
        command.Parameters.AddWithValue("$collection", collection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new MigrationEvent(
                reader.GetString(0),
                UnixMicroseconds.ToDateTimeOffset(reader.GetInt64(1)),
                reader.IsDBNull(2) ? null : (MigrationPhase)reader.GetInt32(2),
                (MigrationPhase)reader.GetInt32(3),
                reader.GetString(4),
                reader.GetString(5));
        }
    }

    private static async IAsyncEnumerable<MigrationDerivedItem> ReadAllDerivedItemsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, """
            SELECT migration_id, item_id FROM migration_derived WHERE collection = $collection ORDER BY migration_id, item_id;
            """);
        command.Parameters.AddWithValue("$collection", collection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new MigrationDerivedItem(reader.GetString(0), reader.GetString(1));
        }
    }

    /// <summary>The few rows of a small table (maps, migrations), read whole by the role's own row reader.</summary>
    private static async IAsyncEnumerable<TRow> ReadRowsAsync<TRow>(
        SqliteConnection connection,
        SqliteTransaction transaction,
        string sql,
        string collection,
        Func<SqliteCommand, CancellationToken, Task<List<TRow>>> read,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        command.Parameters.AddWithValue("$collection", collection);
        foreach (var row in await read(command, cancellationToken))
        {
            yield return row;
        }
    }

    private static async Task InsertCatalogRowAsync(
        SqliteConnection connection, SqliteTransaction transaction, CollectionDefinition definition, long lastSequence, CancellationToken ct)
    {
        await using var command = Command(connection, transaction, """
            INSERT INTO collections (name, definition, last_sequence, created_at, updated_at)
            VALUES ($name, $definition, $sequence, $created, $updated)
            ON CONFLICT (name) DO NOTHING;
            """);
        command.Parameters.AddWithValue("$name", definition.Name);
        command.Parameters.AddWithValue("$definition", CollectionDefinitionJson.Serialize(definition));
        command.Parameters.AddWithValue("$sequence", lastSequence);
        command.Parameters.AddWithValue("$created", UnixMicroseconds.From(definition.CreatedAt));
        command.Parameters.AddWithValue("$updated", UnixMicroseconds.From(definition.UpdatedAt));
        if (await command.ExecuteNonQueryAsync(ct) == 0)
        {
            throw RetrievalException.AlreadyExists($"collection '{definition.Name}' already exists");
        }
    }

    private static async Task InsertChangesAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, IAsyncEnumerable<ItemChange> changes, CancellationToken ct)
    {
        await using var item = Command(
            connection, transaction, "INSERT INTO items (collection, id, payload, seq, shard) VALUES ($collection, $id, $payload, $seq, $shard);");
        item.Parameters.AddWithValue("$collection", collection);
        var itemId = item.Parameters.Add("$id", SqliteType.Text);
        var payload = item.Parameters.Add("$payload", SqliteType.Text);
        var itemSeq = item.Parameters.Add("$seq", SqliteType.Integer);
        var itemShard = item.Parameters.Add("$shard", SqliteType.Integer);

        await using var vector = Command(connection, transaction, """
            INSERT INTO vectors (collection, item_id, space, data, seq) VALUES ($collection, $id, $space, $data, $seq);
            """);
        vector.Parameters.AddWithValue("$collection", collection);
        var vectorId = vector.Parameters.Add("$id", SqliteType.Text);
        var space = vector.Parameters.Add("$space", SqliteType.Text);
        var data = vector.Parameters.Add("$data", SqliteType.Blob);
        var vectorSeq = vector.Parameters.Add("$seq", SqliteType.Integer);

        await using var tombstone = Command(
            connection, transaction, "INSERT INTO tombstones (collection, id, seq, shard) VALUES ($collection, $id, $seq, $shard);");
        tombstone.Parameters.AddWithValue("$collection", collection);
        var tombstoneId = tombstone.Parameters.Add("$id", SqliteType.Text);
        var tombstoneSeq = tombstone.Parameters.Add("$seq", SqliteType.Integer);
        var tombstoneShard = tombstone.Parameters.Add("$shard", SqliteType.Integer);

        await foreach (var change in changes.WithCancellation(ct))
        {
            if (change.Item is not { } stored)
            {
                tombstoneId.Value = change.Id;
                tombstoneSeq.Value = change.Sequence;
                tombstoneShard.Value = change.Shard;
                await tombstone.ExecuteNonQueryAsync(ct);
                continue;
            }

            itemId.Value = stored.Id;
            payload.Value = stored.PayloadJson;
            itemSeq.Value = stored.Sequence;
            itemShard.Value = change.Shard;
            await item.ExecuteNonQueryAsync(ct);
            foreach (var (name, values) in stored.Vectors)
            {
                vectorId.Value = stored.Id;
                space.Value = name;
                data.Value = VectorBytes.Encode(values);
                vectorSeq.Value = stored.Sequence;
                await vector.ExecuteNonQueryAsync(ct);
            }
        }
    }

    private static async Task InsertRawInputsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, IAsyncEnumerable<StoredRawInput> inputs, CancellationToken ct)
    {
        await using var command = Command(connection, transaction, """
            INSERT INTO raw_inputs (collection, item_id, space, kind, content) VALUES ($collection, $id, $space, $kind, $content);
            """);
        command.Parameters.AddWithValue("$collection", collection);
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var space = command.Parameters.Add("$space", SqliteType.Text);
        var kind = command.Parameters.Add("$kind", SqliteType.Integer);
        var content = command.Parameters.Add("$content", SqliteType.Blob);
        await foreach (var input in inputs.WithCancellation(ct))
        {
            id.Value = input.ItemId;
            space.Value = input.Space;
            kind.Value = (int)input.Input.Kind;
            content.Value = input.Input.Content;
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task InsertMapsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, IAsyncEnumerable<StoredMap> maps, CancellationToken ct)
    {
        await foreach (var map in maps.WithCancellation(ct))
        {
            await using var command = Command(connection, transaction, $"""
                INSERT INTO maps ({MapColumns}) VALUES ($collection, $id, $from, $to, $kind, $state, $data, $report, $created, $updated);
                """);
            command.Parameters.AddWithValue("$collection", collection);
            command.Parameters.AddWithValue("$id", map.Id);
            command.Parameters.AddWithValue("$from", map.FromSpace);
            command.Parameters.AddWithValue("$to", map.ToSpace);
            command.Parameters.AddWithValue("$kind", (int)map.Kind);
            command.Parameters.AddWithValue("$state", (int)map.State);
            command.Parameters.AddWithValue("$data", map.Data);
            command.Parameters.AddWithValue("$report", map.ReportJson);
            command.Parameters.AddWithValue("$created", UnixMicroseconds.From(map.CreatedAt));
            command.Parameters.AddWithValue("$updated", UnixMicroseconds.From(map.UpdatedAt));
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task InsertMigrationsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, IAsyncEnumerable<StoredMigration> migrations, CancellationToken ct)
    {
        await foreach (var stored in migrations.WithCancellation(ct))
        {
            var migration = stored with { Collection = collection };
            await using var insert = Command(connection, transaction, $"""
                INSERT INTO migrations ({MigrationColumns}) VALUES ($collection, $id, $from, $to, $encoder, $phase, $settings, $map,
                    $inverse, $calibration, $cursor, $checkpoint, $backfilled, $mapped, $derived, $previous, $created, $updated, $by);
                """);
            BindMigration(insert, migration);
            insert.Parameters.AddWithValue("$cursor", (object?)migration.WorkerCursor ?? DBNull.Value);
            insert.Parameters.AddWithValue("$checkpoint", (object?)migration.ClientCheckpoint ?? DBNull.Value);
            insert.Parameters.AddWithValue("$backfilled", migration.Backfilled);
            insert.Parameters.AddWithValue("$mapped", migration.MappedOnWrite);
            insert.Parameters.AddWithValue("$derived", migration.DerivedOnWrite);
            insert.Parameters.AddWithValue("$created", UnixMicroseconds.From(migration.CreatedAt));
            await insert.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task InsertMigrationEventsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, IAsyncEnumerable<MigrationEvent> events, CancellationToken ct)
    {
        await using var command = Command(connection, transaction, """
            INSERT INTO migration_events (collection, migration_id, at, from_phase, to_phase, actor, note)
            VALUES ($collection, $id, $at, $from, $to, $actor, $note);
            """);
        command.Parameters.AddWithValue("$collection", collection);
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var at = command.Parameters.Add("$at", SqliteType.Integer);
        var from = command.Parameters.Add("$from", SqliteType.Integer);
        var to = command.Parameters.Add("$to", SqliteType.Integer);
        var actor = command.Parameters.Add("$actor", SqliteType.Text);
        var note = command.Parameters.Add("$note", SqliteType.Text);
        await foreach (var e in events.WithCancellation(ct))
        {
            id.Value = e.MigrationId;
            at.Value = UnixMicroseconds.From(e.At);
            from.Value = e.FromPhase is { } f ? (int)f : DBNull.Value;
            to.Value = (int)e.ToPhase;
            actor.Value = e.Actor;
            note.Value = e.Note;
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task InsertDerivedItemsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, IAsyncEnumerable<MigrationDerivedItem> items, CancellationToken ct)
    {
        await using var command = Command(connection, transaction, """
            INSERT INTO migration_derived (collection, migration_id, item_id) VALUES ($collection, $id, $item);
            """);
        command.Parameters.AddWithValue("$collection", collection);
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var item = command.Parameters.Add("$item", SqliteType.Text);
        await foreach (var derived in items.WithCancellation(ct))
        {
            id.Value = derived.MigrationId;
            item.Value = derived.ItemId;
            await command.ExecuteNonQueryAsync(ct);
        }
    }
}
