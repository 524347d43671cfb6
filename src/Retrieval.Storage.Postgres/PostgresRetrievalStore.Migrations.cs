using Npgsql;
using Retrieval.Core.Errors;
using Retrieval.Core.Migrations;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// The migration role: model-upgrade migration rows, their audit events and derived-item lists, persisted as the engine
/// instructs (the phase rules live in the engine).
/// </summary>
public sealed partial class PostgresRetrievalStore
{
    private const string MigrationColumns = """
        collection, id, from_space, to_space, encoder, phase, settings, map_id, inverse_map_id, calibration,
        worker_cursor, client_checkpoint, backfilled, mapped_on_write, derived_on_write, previous_default_space,
        created_at, updated_at, changed_by
        """;

    public async Task CreateMigrationAsync(StoredMigration migration, string note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(migration);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // FOR UPDATE on the catalog row serializes migration plans of one collection (and races a collection delete).
        await using (var lockCollection = new NpgsqlCommand("SELECT 1 FROM collections WHERE name = @name FOR UPDATE;", connection, transaction))
        {
            lockCollection.Parameters.AddWithValue("name", migration.Collection);
            if (await lockCollection.ExecuteScalarAsync(cancellationToken) is null)
            {
                throw CollectionNotFound(migration.Collection);
            }
        }

        await using (var exists = new NpgsqlCommand("SELECT 1 FROM migrations WHERE collection = @collection AND id = @id;", connection, transaction))
        {
            exists.Parameters.AddWithValue("collection", migration.Collection);
            exists.Parameters.AddWithValue("id", migration.Id);
            if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
            {
                throw RetrievalException.AlreadyExists($"migration '{migration.Id}' already exists in collection '{migration.Collection}'");
            }
        }

        await using (var insert = new NpgsqlCommand(
            $"""
            INSERT INTO migrations ({MigrationColumns}) VALUES (@collection, @id, @from, @to, @encoder, @phase, @settings, @map, @inverse,
                @calibration, @cursor, @checkpoint, @backfilled, @mapped, @derived, @previous, @created, @updated, @by);
            """,
            connection,
            transaction))
        {
            BindMigration(insert, migration);
            insert.Parameters.AddWithValue("cursor", (object?)migration.WorkerCursor ?? DBNull.Value);
            insert.Parameters.AddWithValue("checkpoint", (object?)migration.ClientCheckpoint ?? DBNull.Value);
            insert.Parameters.AddWithValue("backfilled", migration.Backfilled);
            insert.Parameters.AddWithValue("mapped", migration.MappedOnWrite);
            insert.Parameters.AddWithValue("derived", migration.DerivedOnWrite);
            insert.Parameters.AddWithValue("created", migration.CreatedAt.ToUniversalTime());
            try
            {
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "migrations_one_open")
            {
                throw MigrationStoreErrors.OpenMigrationConflict(migration, e);
            }
        }

        await InsertEventAsync(connection, transaction, migration, null, note, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredMigration>> ListMigrationsAsync(string collection, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {MigrationColumns} FROM migrations WHERE collection = @collection ORDER BY created_at, id;");
        command.Parameters.AddWithValue("collection", collection);
        return await ReadMigrationsAsync(command, cancellationToken);
    }

    public async Task<StoredMigration?> GetMigrationAsync(string collection, string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {MigrationColumns} FROM migrations WHERE collection = @collection AND id = @id;");
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("id", id);
        return (await ReadMigrationsAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<bool> UpdateMigrationAsync(MigrationUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var migration = update.Migration;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Lock order: the collection row before the migration row, as a write with migration marks takes them (its
        // sequence bump, then its counters); the migrations trigger would otherwise take the collection row second and
        // deadlock against such a write.
        await using (var lockCollection = new NpgsqlCommand("SELECT 1 FROM collections WHERE name = @name FOR UPDATE;", connection, transaction))
        {
            lockCollection.Parameters.AddWithValue("name", migration.Collection);
            await lockCollection.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var change = new NpgsqlCommand(
            """
            UPDATE migrations SET phase = @phase, settings = @settings, map_id = @map, inverse_map_id = @inverse,
                calibration = @calibration, previous_default_space = @previous, updated_at = @updated, changed_by = @by,
                encoder = @encoder
            WHERE collection = @collection AND id = @id AND phase = @expected AND from_space = @from AND to_space = @to
                AND (NOT @promotes OR map_id IS NOT DISTINCT FROM @expected_map);
            """,
            connection,
            transaction))
        {
            BindMigration(change, migration);
            change.Parameters.AddWithValue("expected", (int)update.ExpectedPhase);
            change.Parameters.AddWithValue("promotes", update.PromotedMap is not null);
            change.Parameters.Add(new NpgsqlParameter<string?>("expected_map", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = update.ExpectedMapId });
            if (await change.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        if (migration.Phase != update.ExpectedPhase)
        {
            await InsertEventAsync(connection, transaction, migration, update.ExpectedPhase, update.Note, cancellationToken);
        }

        if (update.PromotedMap is { } promoted)
        {
            await PromoteMapAsync(connection, transaction, promoted, cancellationToken);
        }

        if (update.ClearDerivedItems)
        {
            await using var clear = new NpgsqlCommand(
                "DELETE FROM migration_derived WHERE collection = @collection AND migration_id = @id;", connection, transaction);
            clear.Parameters.AddWithValue("collection", migration.Collection);
            clear.Parameters.AddWithValue("id", migration.Id);
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        if (update.ReplaceStatistics)
        {
            await ReplaceMigrationStatisticsAsync(connection, transaction, migration.Collection, migration.Id, update.SeedStatistics, cancellationToken);
        }

        if (update.EvaluationQueries is { } evaluation)
        {
            await using var store = new NpgsqlCommand(
                "UPDATE migrations SET evaluation_queries = @data WHERE collection = @collection AND id = @id;", connection, transaction);
            store.Parameters.AddWithValue("collection", migration.Collection);
            store.Parameters.AddWithValue("id", migration.Id);
            store.Parameters.AddWithValue("data", evaluation);
            await store.ExecuteNonQueryAsync(cancellationToken);
        }

        if (update.Definition is not null)
        {
            await UpdateDefinitionAsync(connection, transaction, update.Definition, update.RemovedSpace, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<string>> ListDerivedItemsAsync(string collection, string migrationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT item_id FROM migration_derived WHERE collection = @collection AND migration_id = @id ORDER BY item_id;");
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("id", migrationId);
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
        await using var command = dataSource.CreateCommand("""
            SELECT at, from_phase, to_phase, actor, note FROM migration_events
            WHERE collection = @collection AND migration_id = @id ORDER BY event_no;
            """);
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("id", migrationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<MigrationEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new MigrationEvent(
                migrationId,
                reader.GetFieldValue<DateTimeOffset>(0),
                reader.IsDBNull(1) ? null : (MigrationPhase)reader.GetInt32(1),
                (MigrationPhase)reader.GetInt32(2),
                reader.GetString(3),
                reader.GetString(4)));
        }

        return events;
    }

    /// <summary>
    /// Adds a batch's migration marks to the write batch and returns the counters statement, whose row count tells whether
    /// the migration was still in the marks' phase, and a worker step's cursor still the one it walked from (the caller
    /// rolls the batch back when not).
    /// </summary>
    private static (NpgsqlBatchCommand Counters, NpgsqlBatchCommand? Statistics) AddMigrationMarks(NpgsqlBatch batch, string collection, MigrationMarks marks)
    {
        var counters = new NpgsqlBatchCommand("""
            UPDATE migrations SET backfilled = backfilled + @backfilled, mapped_on_write = mapped_on_write + @mapped,
                derived_on_write = derived_on_write + @derived, worker_cursor = COALESCE(@cursor, worker_cursor),
                client_checkpoint = COALESCE(@checkpoint, client_checkpoint)
            WHERE collection = @collection AND id = @id AND phase = @phase
                AND (NOT @worker_step OR worker_cursor IS NOT DISTINCT FROM @cursor_before)
            """);
        counters.Parameters.AddWithValue("backfilled", marks.BackfilledDelta);
        counters.Parameters.AddWithValue("mapped", marks.MappedOnWriteDelta);
        counters.Parameters.AddWithValue("derived", marks.DerivedOnWriteDelta);
        counters.Parameters.Add(new NpgsqlParameter<string?>("cursor", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = marks.WorkerCursor });
        counters.Parameters.Add(new NpgsqlParameter<string?>("checkpoint", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = marks.ClientCheckpoint });
        counters.Parameters.AddWithValue("collection", collection);
        counters.Parameters.AddWithValue("id", marks.MigrationId);
        counters.Parameters.AddWithValue("phase", (int)marks.Phase);
        // A worker step commits only over the cursor it walked from: a stale runner's batch matches no row.
        counters.Parameters.AddWithValue("worker_step", marks.WorkerStep is not null);
        counters.Parameters.Add(new NpgsqlParameter<string?>("cursor_before", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = marks.WorkerStep?.CursorBefore });
        batch.BatchCommands.Add(counters);

        if (marks.DerivedIds.Count > 0)
        {
            var derive = new NpgsqlBatchCommand("""
                INSERT INTO migration_derived (collection, migration_id, item_id)
                SELECT @collection, @id, unnest(@items::text[]) ON CONFLICT DO NOTHING
                """);
            derive.Parameters.AddWithValue("collection", collection);
            derive.Parameters.AddWithValue("id", marks.MigrationId);
            derive.Parameters.AddWithValue("items", marks.DerivedIds.ToArray());
            batch.BatchCommands.Add(derive);
        }

        if (marks.NativeIds.Count > 0)
        {
            var native = new NpgsqlBatchCommand("""
                DELETE FROM migration_derived WHERE collection = @collection AND migration_id = @id AND item_id = ANY(@items::text[])
                """);
            native.Parameters.AddWithValue("collection", collection);
            native.Parameters.AddWithValue("id", marks.MigrationId);
            native.Parameters.AddWithValue("items", marks.NativeIds.ToArray());
            batch.BatchCommands.Add(native);
        }

        var statisticsCommand = marks.Statistics is { } statistics ? AddMigrationStatistics(batch, collection, marks.MigrationId, statistics) : null;
        return (counters, statisticsCommand);
    }

    private static void BindMigration(NpgsqlCommand command, StoredMigration migration)
    {
        command.Parameters.AddWithValue("collection", migration.Collection);
        command.Parameters.AddWithValue("id", migration.Id);
        command.Parameters.AddWithValue("from", migration.FromSpace);
        command.Parameters.AddWithValue("to", migration.ToSpace);
        command.Parameters.AddWithValue("encoder", (object?)migration.Encoder ?? DBNull.Value);
        command.Parameters.AddWithValue("phase", (int)migration.Phase);
        command.Parameters.AddWithValue("settings", migration.Settings);
        command.Parameters.AddWithValue("map", (object?)migration.MapId ?? DBNull.Value);
        command.Parameters.AddWithValue("inverse", (object?)migration.InverseMapId ?? DBNull.Value);
        command.Parameters.AddWithValue("calibration", (object?)migration.CalibrationJson ?? DBNull.Value);
        command.Parameters.AddWithValue("previous", (object?)migration.PreviousDefaultSpace ?? DBNull.Value);
        command.Parameters.AddWithValue("updated", migration.UpdatedAt.ToUniversalTime());
        command.Parameters.AddWithValue("by", migration.ChangedBy);
    }

    private static async Task InsertEventAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, StoredMigration migration, MigrationPhase? from, string note, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO migration_events (collection, migration_id, at, from_phase, to_phase, actor, note)
            VALUES (@collection, @id, @at, @from, @to, @actor, @note);
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("collection", migration.Collection);
        command.Parameters.AddWithValue("id", migration.Id);
        command.Parameters.AddWithValue("at", migration.UpdatedAt.ToUniversalTime());
        command.Parameters.Add(new NpgsqlParameter<int?>("from", NpgsqlTypes.NpgsqlDbType.Integer) { TypedValue = from is { } f ? (int)f : null });
        command.Parameters.AddWithValue("to", (int)migration.Phase);
        command.Parameters.AddWithValue("actor", migration.ChangedBy);
        command.Parameters.AddWithValue("note", note);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static Task<List<StoredMigration>> ReadMigrationsAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        StoredMigrationReader.ReadAllAsync(command, static (r, i) => r.GetFieldValue<DateTimeOffset>(i), cancellationToken);
}
