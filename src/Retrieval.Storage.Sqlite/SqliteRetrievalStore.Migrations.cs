using Microsoft.Data.Sqlite;
using Retrieval.Core.Errors;
using Retrieval.Core.Migrations;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>
/// The migration role: model-upgrade migration rows, their audit events and derived-item lists, persisted as the engine
/// instructs (the phase rules live in the engine).
/// </summary>
public sealed partial class SqliteRetrievalStore
{
    /// <summary>SQLITE_CONSTRAINT_UNIQUE: a unique index refused a row.</summary>
    private const int SqliteUniqueConstraint = 2067;

    private const string MigrationColumns = """
        collection, id, from_space, to_space, encoder, phase, settings, map_id, inverse_map_id, calibration,
        worker_cursor, client_checkpoint, backfilled, mapped_on_write, derived_on_write, previous_default_space,
        created_at, updated_at, changed_by
        """;

    public Task CreateMigrationAsync(StoredMigration migration, string note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(migration);
        return WriteTransactionAsync(
            async (connection, transaction, ct) =>
            {
                await RequireCollectionAsync(connection, transaction, migration.Collection, ct);
                await using (var exists = Command(connection, transaction, "SELECT 1 FROM migrations WHERE collection = $collection AND id = $id;"))
                {
                    exists.Parameters.AddWithValue("$collection", migration.Collection);
                    exists.Parameters.AddWithValue("$id", migration.Id);
                    if (await exists.ExecuteScalarAsync(ct) is not null)
                    {
                        throw RetrievalException.AlreadyExists($"migration '{migration.Id}' already exists in collection '{migration.Collection}'");
                    }
                }

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
                try
                {
                    await insert.ExecuteNonQueryAsync(ct);
                }
                catch (SqliteException e) when (e.SqliteExtendedErrorCode == SqliteUniqueConstraint)
                {
                    // The id was checked above, so the unique index refusing the row is migrations_one_open.
                    throw MigrationStoreErrors.OpenMigrationConflict(migration, e);
                }

                await InsertEventAsync(connection, transaction, migration, null, note, ct);
                return true;
            },
            cancellationToken);
    }

    public async Task<IReadOnlyList<StoredMigration>> ListMigrationsAsync(string collection, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = Command(
            connection, null, $"SELECT {MigrationColumns} FROM migrations WHERE collection = $collection ORDER BY created_at, id;");
        command.Parameters.AddWithValue("$collection", collection);
        return await ReadMigrationsAsync(command, cancellationToken);
    }

    public async Task<StoredMigration?> GetMigrationAsync(string collection, string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = Command(
            connection, null, $"SELECT {MigrationColumns} FROM migrations WHERE collection = $collection AND id = $id;");
        command.Parameters.AddWithValue("$collection", collection);
        command.Parameters.AddWithValue("$id", id);
        return (await ReadMigrationsAsync(command, cancellationToken)).SingleOrDefault();
    }

    public Task<bool> UpdateMigrationAsync(MigrationUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var migration = update.Migration;
        return WriteTransactionAsync(
            async (connection, transaction, ct) =>
            {
                await using var change = Command(connection, transaction, """
                    UPDATE migrations SET phase = $phase, settings = $settings, map_id = $map, inverse_map_id = $inverse,
                        calibration = $calibration, previous_default_space = $previous, updated_at = $updated, changed_by = $by,
                        encoder = $encoder
                    WHERE collection = $collection AND id = $id AND phase = $expected AND from_space = $from AND to_space = $to
                        AND (NOT $promotes OR map_id IS $expected_map);
                    """);
                BindMigration(change, migration);
                change.Parameters.AddWithValue("$expected", (int)update.ExpectedPhase);
                change.Parameters.AddWithValue("$promotes", update.PromotedMap is not null);
                change.Parameters.AddWithValue("$expected_map", (object?)update.ExpectedMapId ?? DBNull.Value);
                if (await change.ExecuteNonQueryAsync(ct) == 0)
                {
                    return false;
                }

                if (migration.Phase != update.ExpectedPhase)
                {
                    await InsertEventAsync(connection, transaction, migration, update.ExpectedPhase, update.Note, ct);
                }

                if (update.PromotedMap is { } promoted)
                {
                    await PromoteMapAsync(connection, transaction, promoted, ct);
                }

                if (update.ClearDerivedItems)
                {
                    await using var clear = Command(
                        connection, transaction, "DELETE FROM migration_derived WHERE collection = $collection AND migration_id = $id;");
                    clear.Parameters.AddWithValue("$collection", migration.Collection);
                    clear.Parameters.AddWithValue("$id", migration.Id);
                    await clear.ExecuteNonQueryAsync(ct);
                }

                if (update.ReplaceStatistics)
                {
                    await ReplaceMigrationStatisticsAsync(connection, transaction, migration.Collection, migration.Id, update.SeedStatistics, ct);
                }

                if (update.EvaluationQueries is { } evaluation)
                {
                    await using var store = Command(
                        connection, transaction, "UPDATE migrations SET evaluation_queries = $data WHERE collection = $collection AND id = $id;");
                    store.Parameters.AddWithValue("$collection", migration.Collection);
                    store.Parameters.AddWithValue("$id", migration.Id);
                    store.Parameters.AddWithValue("$data", evaluation);
                    await store.ExecuteNonQueryAsync(ct);
                }

                if (update.Definition is not null)
                {
                    await UpdateDefinitionAsync(connection, transaction, update.Definition, update.RemovedSpace, ct);
                }

                return true;
            },
            cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListDerivedItemsAsync(string collection, string migrationId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT item_id FROM migration_derived WHERE collection = $collection AND migration_id = $id ORDER BY item_id;
            """);
        command.Parameters.AddWithValue("$collection", collection);
        command.Parameters.AddWithValue("$id", migrationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public async Task<IReadOnlyList<MigrationEvent>> ListMigrationEventsAsync(string collection, string migrationId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT at, from_phase, to_phase, actor, note FROM migration_events
            WHERE collection = $collection AND migration_id = $id ORDER BY event_no;
            """);
        command.Parameters.AddWithValue("$collection", collection);
        command.Parameters.AddWithValue("$id", migrationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<MigrationEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new MigrationEvent(
                migrationId,
                UnixMicroseconds.ToDateTimeOffset(reader.GetInt64(0)),
                reader.IsDBNull(1) ? null : (MigrationPhase)reader.GetInt32(1),
                (MigrationPhase)reader.GetInt32(2),
                reader.GetString(3),
                reader.GetString(4)));
        }

        return events;
    }

    /// <summary>Applies a batch's migration marks inside the batch's transaction, when the migration is still in the marks' phase.</summary>
    private static async Task ApplyMigrationMarksAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, MigrationMarks marks, CancellationToken cancellationToken)
    {
        await using var counters = Command(connection, transaction, """
            UPDATE migrations SET backfilled = backfilled + $backfilled, mapped_on_write = mapped_on_write + $mapped,
                derived_on_write = derived_on_write + $derived, worker_cursor = COALESCE($cursor, worker_cursor),
                client_checkpoint = COALESCE($checkpoint, client_checkpoint)
            WHERE collection = $collection AND id = $id AND phase = $phase
                AND ($worker_step = 0 OR worker_cursor IS $cursor_before);
            """);
        counters.Parameters.AddWithValue("$backfilled", marks.BackfilledDelta);
        counters.Parameters.AddWithValue("$mapped", marks.MappedOnWriteDelta);
        counters.Parameters.AddWithValue("$derived", marks.DerivedOnWriteDelta);
        counters.Parameters.AddWithValue("$cursor", (object?)marks.WorkerCursor ?? DBNull.Value);
        counters.Parameters.AddWithValue("$checkpoint", (object?)marks.ClientCheckpoint ?? DBNull.Value);
        counters.Parameters.AddWithValue("$collection", collection);
        counters.Parameters.AddWithValue("$id", marks.MigrationId);
        counters.Parameters.AddWithValue("$phase", (int)marks.Phase);
        // A worker step commits only over the cursor it walked from (one process, one runner here; kept alike to PostgreSQL).
        counters.Parameters.AddWithValue("$worker_step", marks.WorkerStep is null ? 0 : 1);
        counters.Parameters.AddWithValue("$cursor_before", (object?)marks.WorkerStep?.CursorBefore ?? DBNull.Value);
        if (await counters.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            // The engine read the phase (and a worker step its cursor) under the collection's write gate; reaching
            // here means the two disagree.
            throw MigrationStoreErrors.MarksPhaseMismatch(collection, marks);
        }

        await using var derive = Command(connection, transaction, """
            INSERT INTO migration_derived (collection, migration_id, item_id) VALUES ($collection, $id, $item) ON CONFLICT DO NOTHING;
            """);
        derive.Parameters.AddWithValue("$collection", collection);
        derive.Parameters.AddWithValue("$id", marks.MigrationId);
        var derivedItem = derive.Parameters.Add("$item", SqliteType.Text);
        foreach (var item in marks.DerivedIds)
        {
            derivedItem.Value = item;
            await derive.ExecuteNonQueryAsync(cancellationToken);
        }

        if (marks.Statistics is { } statistics && !await WriteMigrationStatisticsAsync(connection, transaction, collection, marks.MigrationId, statistics, cancellationToken))
        {
            // Another writer replaced the statistics since the engine read them: the whole batch rolls back.
            throw new MigrationStatisticsConflictException(collection, marks.MigrationId, statistics.ExpectedVersion);
        }

        await using var native = Command(connection, transaction, """
            DELETE FROM migration_derived WHERE collection = $collection AND migration_id = $id AND item_id = $item;
            """);
        native.Parameters.AddWithValue("$collection", collection);
        native.Parameters.AddWithValue("$id", marks.MigrationId);
        var nativeItem = native.Parameters.Add("$item", SqliteType.Text);
        foreach (var item in marks.NativeIds)
        {
            nativeItem.Value = item;
            await native.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static void BindMigration(SqliteCommand command, StoredMigration migration)
    {
        command.Parameters.AddWithValue("$collection", migration.Collection);
        command.Parameters.AddWithValue("$id", migration.Id);
        command.Parameters.AddWithValue("$from", migration.FromSpace);
        command.Parameters.AddWithValue("$to", migration.ToSpace);
        command.Parameters.AddWithValue("$encoder", (object?)migration.Encoder ?? DBNull.Value);
        command.Parameters.AddWithValue("$phase", (int)migration.Phase);
        command.Parameters.AddWithValue("$settings", migration.Settings);
        command.Parameters.AddWithValue("$map", (object?)migration.MapId ?? DBNull.Value);
        command.Parameters.AddWithValue("$inverse", (object?)migration.InverseMapId ?? DBNull.Value);
        command.Parameters.AddWithValue("$calibration", (object?)migration.CalibrationJson ?? DBNull.Value);
        command.Parameters.AddWithValue("$previous", (object?)migration.PreviousDefaultSpace ?? DBNull.Value);
        command.Parameters.AddWithValue("$updated", UnixMicroseconds.From(migration.UpdatedAt));
        command.Parameters.AddWithValue("$by", migration.ChangedBy);
    }

    private static async Task InsertEventAsync(
        SqliteConnection connection, SqliteTransaction transaction, StoredMigration migration, MigrationPhase? from, string note, CancellationToken ct)
    {
        await using var command = Command(connection, transaction, """
            INSERT INTO migration_events (collection, migration_id, at, from_phase, to_phase, actor, note)
            VALUES ($collection, $id, $at, $from, $to, $actor, $note);
            """);
        command.Parameters.AddWithValue("$collection", migration.Collection);
        command.Parameters.AddWithValue("$id", migration.Id);
        command.Parameters.AddWithValue("$at", UnixMicroseconds.From(migration.UpdatedAt));
        command.Parameters.AddWithValue("$from", from is { } f ? (int)f : DBNull.Value);
        command.Parameters.AddWithValue("$to", (int)migration.Phase);
        command.Parameters.AddWithValue("$actor", migration.ChangedBy);
        command.Parameters.AddWithValue("$note", note);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static Task<List<StoredMigration>> ReadMigrationsAsync(SqliteCommand command, CancellationToken cancellationToken) =>
        StoredMigrationReader.ReadAllAsync(command, static (r, i) => UnixMicroseconds.ToDateTimeOffset(r.GetInt64(i)), cancellationToken);
}
