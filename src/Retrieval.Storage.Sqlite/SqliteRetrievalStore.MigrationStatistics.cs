using Microsoft.Data.Sqlite;
using Retrieval.Core.Maps;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>
/// A migration's streamed anchor statistics and reservoir (online refit), and the promotion of a refitted map with the
/// migration row that names it. Written only inside the transactions of the batch or update they belong to.
/// </summary>
public sealed partial class SqliteRetrievalStore
{
    public async Task<StoredMigrationStatistics?> GetMigrationStatisticsAsync(string collection, string migrationId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: true);
        byte[] data;
        long heldOut, seed, version;
        await using (var command = Command(connection, transaction, """
            SELECT data, held_out_pairs, seed_pairs, version FROM migration_statistics WHERE collection = $collection AND migration_id = $id;
            """))
        {
            command.Parameters.AddWithValue("$collection", collection);
            command.Parameters.AddWithValue("$id", migrationId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            data = (byte[])reader.GetValue(0);
            heldOut = reader.GetInt64(1);
            seed = reader.GetInt64(2);
            version = reader.GetInt64(3);
        }

        var reservoir = new List<MigrationReservoirSlot>();
        await using (var command = Command(connection, transaction, """
            SELECT slot, item_id FROM migration_reservoir WHERE collection = $collection AND migration_id = $id ORDER BY slot;
            """))
        {
            command.Parameters.AddWithValue("$collection", collection);
            command.Parameters.AddWithValue("$id", migrationId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                reservoir.Add(new MigrationReservoirSlot(reader.GetInt32(0), reader.GetString(1)));
            }
        }

        return new StoredMigrationStatistics(data, heldOut, seed, reservoir, version);
    }

    public async Task<byte[]?> GetMigrationEvaluationQueriesAsync(string collection, string migrationId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT evaluation_queries FROM migrations WHERE collection = $collection AND id = $id;
            """);
        command.Parameters.AddWithValue("$collection", collection);
        command.Parameters.AddWithValue("$id", migrationId);
        return await command.ExecuteScalarAsync(cancellationToken) is byte[] data ? data : null;
    }

    /// <summary>
    /// Replaces the statistics (a compare-and-set on their version) and sets the named reservoir slots, inside the batch's
    /// transaction. False when the stored version is not the expected one; nothing was written then.
    /// </summary>
    private static async Task<bool> WriteMigrationStatisticsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, string migrationId, MigrationStatisticsWrite statistics, CancellationToken ct)
    {
        await using (var upsert = Command(connection, transaction, """
            INSERT INTO migration_statistics (collection, migration_id, data, held_out_pairs, seed_pairs, version) VALUES ($collection, $id, $data, $held, $seed, $next)
            ON CONFLICT (collection, migration_id) DO UPDATE SET data = excluded.data, held_out_pairs = excluded.held_out_pairs, seed_pairs = excluded.seed_pairs,
                version = excluded.version
            WHERE migration_statistics.version IS $expected;
            """))
        {
            upsert.Parameters.AddWithValue("$collection", collection);
            upsert.Parameters.AddWithValue("$id", migrationId);
            upsert.Parameters.AddWithValue("$data", statistics.Data);
            upsert.Parameters.AddWithValue("$held", statistics.HeldOutPairs);
            upsert.Parameters.AddWithValue("$seed", statistics.SeedPairs);
            upsert.Parameters.AddWithValue("$next", statistics.NextVersion);
            upsert.Parameters.AddWithValue("$expected", (object?)statistics.ExpectedVersion ?? DBNull.Value);
            if (await upsert.ExecuteNonQueryAsync(ct) == 0)
            {
                return false;
            }
        }

        await WriteReservoirSlotsAsync(connection, transaction, collection, migrationId, statistics.ReservoirSlots, ct);
        return true;
    }

    /// <summary>Replaces the statistics and reservoir whatever is stored (fit's seed, version 0), or deletes them (null).</summary>
    private static async Task ReplaceMigrationStatisticsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, string migrationId, MigrationStatisticsWrite? statistics, CancellationToken ct)
    {
        foreach (var table in new[] { "migration_statistics", "migration_reservoir" })
        {
            await using var delete = Command(connection, transaction, $"DELETE FROM {table} WHERE collection = $collection AND migration_id = $id;");
            delete.Parameters.AddWithValue("$collection", collection);
            delete.Parameters.AddWithValue("$id", migrationId);
            await delete.ExecuteNonQueryAsync(ct);
        }

        if (statistics is null)
        {
            return;
        }

        await using (var insert = Command(connection, transaction, """
            INSERT INTO migration_statistics (collection, migration_id, data, held_out_pairs, seed_pairs, version) VALUES ($collection, $id, $data, $held, $seed, 0);
            """))
        {
            insert.Parameters.AddWithValue("$collection", collection);
            insert.Parameters.AddWithValue("$id", migrationId);
            insert.Parameters.AddWithValue("$data", statistics.Data);
            insert.Parameters.AddWithValue("$held", statistics.HeldOutPairs);
            insert.Parameters.AddWithValue("$seed", statistics.SeedPairs);
            await insert.ExecuteNonQueryAsync(ct);
        }

        await WriteReservoirSlotsAsync(connection, transaction, collection, migrationId, statistics.ReservoirSlots, ct);
    }

    private static async Task WriteReservoirSlotsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, string migrationId, IReadOnlyList<MigrationReservoirSlot> slots, CancellationToken ct)
    {
        if (slots.Count == 0)
        {
            return;
        }

        await using var slot = Command(connection, transaction, """
            INSERT INTO migration_reservoir (collection, migration_id, slot, item_id) VALUES ($collection, $id, $slot, $item)
            ON CONFLICT (collection, migration_id, slot) DO UPDATE SET item_id = excluded.item_id;
            """);
        slot.Parameters.AddWithValue("$collection", collection);
        slot.Parameters.AddWithValue("$id", migrationId);
        var slotNumber = slot.Parameters.Add("$slot", SqliteType.Integer);
        var item = slot.Parameters.Add("$item", SqliteType.Text);
        foreach (var entry in slots)
        {
            slotNumber.Value = entry.Slot;
            item.Value = entry.ItemId;
            await slot.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Inserts a promoted map as active, retiring the active map of its pair first (the partial unique index allows one).</summary>
    private static async Task PromoteMapAsync(SqliteConnection connection, SqliteTransaction transaction, StoredMap map, CancellationToken ct)
    {
        var at = UnixMicroseconds.From(map.UpdatedAt);
        await using (var retire = Command(connection, transaction, """
            UPDATE maps SET state = $retired, updated_at = $at
            WHERE collection = $collection AND from_space = $from AND to_space = $to AND state = $active;
            """))
        {
            retire.Parameters.AddWithValue("$retired", (int)MapState.Retired);
            retire.Parameters.AddWithValue("$active", (int)MapState.Active);
            retire.Parameters.AddWithValue("$at", at);
            retire.Parameters.AddWithValue("$collection", map.Collection);
            retire.Parameters.AddWithValue("$from", map.FromSpace);
            retire.Parameters.AddWithValue("$to", map.ToSpace);
            await retire.ExecuteNonQueryAsync(ct);
        }

        await InsertMapAsync(connection, transaction, map, MapState.Active, ct);
    }
}
