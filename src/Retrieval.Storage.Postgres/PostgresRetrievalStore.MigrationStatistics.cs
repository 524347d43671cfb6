using Npgsql;
using Retrieval.Core.Maps;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// A migration's streamed anchor statistics and reservoir (online refit), and the promotion of a refitted map with the
/// migration row that names it. Written only inside the transactions of the batch or update they belong to.
/// </summary>
public sealed partial class PostgresRetrievalStore
{
    public async Task<StoredMigrationStatistics?> GetMigrationStatisticsAsync(string collection, string migrationId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        byte[] data;
        long heldOut, seed, version;
        await using (var command = new NpgsqlCommand(
            "SELECT data, held_out_pairs, seed_pairs, version FROM migration_statistics WHERE collection = @collection AND migration_id = @id;", connection, transaction))
        {
            command.Parameters.AddWithValue("collection", collection);
            command.Parameters.AddWithValue("id", migrationId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            data = reader.GetFieldValue<byte[]>(0);
            heldOut = reader.GetInt64(1);
            seed = reader.GetInt64(2);
            version = reader.GetInt64(3);
        }

        var reservoir = new List<MigrationReservoirSlot>();
        await using (var command = new NpgsqlCommand(
            "SELECT slot, item_id FROM migration_reservoir WHERE collection = @collection AND migration_id = @id ORDER BY slot;", connection, transaction))
        {
            command.Parameters.AddWithValue("collection", collection);
            command.Parameters.AddWithValue("id", migrationId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                reservoir.Add(new MigrationReservoirSlot(reader.GetInt32(0), reader.GetString(1)));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new StoredMigrationStatistics(data, heldOut, seed, reservoir, version);
    }

    public async Task<byte[]?> GetMigrationEvaluationQueriesAsync(string collection, string migrationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT evaluation_queries FROM migrations WHERE collection = @collection AND id = @id;");
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("id", migrationId);
        return await command.ExecuteScalarAsync(cancellationToken) is byte[] data ? data : null;
    }

    /// <summary>
    /// Adds the statements that replace the statistics and set the named reservoir slots to the batch's transaction, and
    /// returns the replacement: a compare-and-set on the stored version, which affects no row when another writer replaced
    /// them first (the caller rolls the batch back then).
    /// </summary>
    private static NpgsqlBatchCommand AddMigrationStatistics(NpgsqlBatch batch, string collection, string migrationId, MigrationStatisticsWrite statistics)
    {
        var upsert = new NpgsqlBatchCommand("""
            INSERT INTO migration_statistics (collection, migration_id, data, held_out_pairs, seed_pairs, version) VALUES (@collection, @id, @data, @held, @seed, @next)
            ON CONFLICT (collection, migration_id) DO UPDATE SET data = excluded.data, held_out_pairs = excluded.held_out_pairs, seed_pairs = excluded.seed_pairs,
                version = excluded.version
            WHERE migration_statistics.version IS NOT DISTINCT FROM @expected
            """);
        upsert.Parameters.AddWithValue("collection", collection);
        upsert.Parameters.AddWithValue("id", migrationId);
        upsert.Parameters.AddWithValue("data", statistics.Data);
        upsert.Parameters.AddWithValue("held", statistics.HeldOutPairs);
        upsert.Parameters.AddWithValue("seed", statistics.SeedPairs);
        upsert.Parameters.AddWithValue("next", statistics.NextVersion);
        upsert.Parameters.Add(new NpgsqlParameter<long?>("expected", NpgsqlTypes.NpgsqlDbType.Bigint) { TypedValue = statistics.ExpectedVersion });
        batch.BatchCommands.Add(upsert);
        if (statistics.ReservoirSlots.Count > 0)
        {
            batch.BatchCommands.Add(ReservoirSlotsCommand(collection, migrationId, statistics.ReservoirSlots));
        }

        return upsert;
    }

    /// <summary>Replaces the statistics and reservoir whatever is stored (fit's seed, version 0), or deletes them (null).</summary>
    private static async Task ReplaceMigrationStatisticsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string collection, string migrationId, MigrationStatisticsWrite? statistics, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var table in new[] { "migration_statistics", "migration_reservoir" })
        {
            var delete = new NpgsqlBatchCommand($"DELETE FROM {table} WHERE collection = @collection AND migration_id = @id");
            delete.Parameters.AddWithValue("collection", collection);
            delete.Parameters.AddWithValue("id", migrationId);
            batch.BatchCommands.Add(delete);
        }

        if (statistics is not null)
        {
            var insert = new NpgsqlBatchCommand("""
                INSERT INTO migration_statistics (collection, migration_id, data, held_out_pairs, seed_pairs, version) VALUES (@collection, @id, @data, @held, @seed, 0)
                """);
            insert.Parameters.AddWithValue("collection", collection);
            insert.Parameters.AddWithValue("id", migrationId);
            insert.Parameters.AddWithValue("data", statistics.Data);
            insert.Parameters.AddWithValue("held", statistics.HeldOutPairs);
            insert.Parameters.AddWithValue("seed", statistics.SeedPairs);
            batch.BatchCommands.Add(insert);
            if (statistics.ReservoirSlots.Count > 0)
            {
                batch.BatchCommands.Add(ReservoirSlotsCommand(collection, migrationId, statistics.ReservoirSlots));
            }
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand ReservoirSlotsCommand(string collection, string migrationId, IReadOnlyList<MigrationReservoirSlot> reservoirSlots)
    {
        var slots = new NpgsqlBatchCommand("""
            INSERT INTO migration_reservoir (collection, migration_id, slot, item_id)
            SELECT @collection, @id, s.slot, s.item_id FROM unnest(@slots::integer[], @items::text[]) AS s(slot, item_id)
            ON CONFLICT (collection, migration_id, slot) DO UPDATE SET item_id = excluded.item_id
            """);
        slots.Parameters.AddWithValue("collection", collection);
        slots.Parameters.AddWithValue("id", migrationId);
        slots.Parameters.AddWithValue("slots", reservoirSlots.Select(s => s.Slot).ToArray());
        slots.Parameters.AddWithValue("items", reservoirSlots.Select(s => s.ItemId).ToArray());
        return slots;
    }

    /// <summary>Inserts a promoted map as active, retiring the active map of its pair first (the partial unique index allows one).</summary>
    private static async Task PromoteMapAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StoredMap map, CancellationToken cancellationToken)
    {
        await using (var retire = new NpgsqlCommand(
            """
            UPDATE maps SET state = @retired, updated_at = @at
            WHERE collection = @collection AND from_space = @from AND to_space = @to AND state = @active;
            """,
            connection,
            transaction))
        {
            retire.Parameters.AddWithValue("retired", (int)MapState.Retired);
            retire.Parameters.AddWithValue("active", (int)MapState.Active);
            retire.Parameters.AddWithValue("at", map.UpdatedAt.ToUniversalTime());
            retire.Parameters.AddWithValue("collection", map.Collection);
            retire.Parameters.AddWithValue("from", map.FromSpace);
            retire.Parameters.AddWithValue("to", map.ToSpace);
            await retire.ExecuteNonQueryAsync(cancellationToken);
        }

        await InsertMapAsync(connection, transaction, map, MapState.Active, cancellationToken);
    }
}
