using Npgsql;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>Backfill leases (cluster mode): one statement each, on the database's clock.</summary>
public sealed partial class PostgresRetrievalStore : IBackfillLeaseStore
{
    /// <remarks>
    /// One upsert: a missing row is inserted; an existing one is overwritten only when this holder holds it already or
    /// its lease has expired. Two nodes racing for an expired lease both reach the row's lock; the second re-checks the
    /// condition against the first's new row (READ COMMITTED's rule for ON CONFLICT DO UPDATE) and updates nothing.
    /// </remarks>
    public async Task<BackfillLease?> TryTakeBackfillLeaseAsync(
        string collection, string migrationId, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(holder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO backfill_leases AS l (collection, migration_id, holder, epoch, taken_at, expires_at)
            VALUES (@collection, @migration, @holder, 1, now(), now() + @duration)
            ON CONFLICT (collection, migration_id) DO UPDATE SET
                holder = excluded.holder,
                epoch = CASE WHEN l.holder = excluded.holder THEN l.epoch ELSE l.epoch + 1 END,
                taken_at = CASE WHEN l.holder = excluded.holder THEN l.taken_at ELSE now() END,
                expires_at = excluded.expires_at
            WHERE l.holder = excluded.holder OR l.expires_at <= now()
            RETURNING holder, epoch, taken_at, expires_at;
            """);
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("migration", migrationId);
        command.Parameters.AddWithValue("holder", holder);
        command.Parameters.AddWithValue("duration", duration);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadLease(reader, collection, migrationId) : null;
    }

    public async Task ReleaseBackfillLeaseAsync(string collection, string migrationId, string holder, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "DELETE FROM backfill_leases WHERE collection = @collection AND migration_id = @migration AND holder = @holder;");
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("migration", migrationId);
        command.Parameters.AddWithValue("holder", holder);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<BackfillLease?> GetBackfillLeaseAsync(string collection, string migrationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT holder, epoch, taken_at, expires_at FROM backfill_leases WHERE collection = @collection AND migration_id = @migration;");
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("migration", migrationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadLease(reader, collection, migrationId) : null;
    }

    public async Task<IReadOnlyList<BackfillLeaseState>> ListBackfillLeasesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT holder, epoch, taken_at, expires_at, collection, migration_id, expires_at <= now() FROM backfill_leases ORDER BY collection, migration_id;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var leases = new List<BackfillLeaseState>();
        while (await reader.ReadAsync(cancellationToken))
        {
            leases.Add(new BackfillLeaseState(ReadLease(reader, reader.GetString(4), reader.GetString(5)), reader.GetBoolean(6)));
        }

        return leases;
    }

    private static BackfillLease ReadLease(NpgsqlDataReader reader, string collection, string migrationId) =>
        new(collection, migrationId, reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3));
}
