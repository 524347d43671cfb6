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
        long heldOut, seed;
        await using (var command = Command(connection, transaction, """
            SELECT data, held_out_pairs, seed_pairs FROM migration_statistics WHERE collection = $collection AND migration_id = $id;
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

        return new StoredMigrationStatistics(data, heldOut, seed, reservoir);
    }

    /// <summary>Replaces the statistics and sets the named reservoir slots, inside the batch's transaction.</summary>
    private static async Task WriteMigrationStatisticsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, string migrationId, MigrationStatisticsWrite statistics, CancellationToken ct)
    {
        await using (var upsert = Command(connection, transaction, """
            INSERT INTO migration_statistics (collection, migration_id, data, held_out_pairs, seed_pairs) VALUES ($collection, $id, $data, $held, $seed)
            ON CONFLICT (collection, migration_id) DO UPDATE SET data = excluded.data, held_out_pairs = excluded.held_out_pairs, seed_pairs = excluded.seed_pairs;
            """))
        {
            upsert.Parameters.AddWithValue("$collection", collection);
            upsert.Parameters.AddWithValue("$id", migrationId);
            upsert.Parameters.AddWithValue("$data", statistics.Data);
            upsert.Parameters.AddWithValue("$held", statistics.HeldOutPairs);
            upsert.Parameters.AddWithValue("$seed", statistics.SeedPairs);
            await upsert.ExecuteNonQueryAsync(ct);
        }

        if (statistics.ReservoirSlots.Count == 0)
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
        foreach (var entry in statistics.ReservoirSlots)
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
