using Microsoft.Data.Sqlite;
using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>The compatibility-map registry.</summary>
public sealed partial class SqliteRetrievalStore
{
    private const string MapColumns = "collection, id, from_space, to_space, kind, state, data, report, created_at, updated_at";

    public Task SaveMapAsync(StoredMap map, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(map);
        return WriteTransactionAsync(
            async (connection, transaction, ct) =>
            {
                await RequireCollectionAsync(connection, transaction, map.Collection, ct);
                await InsertMapAsync(connection, transaction, map, map.State, ct);
                return true;
            },
            cancellationToken);
    }

    /// <summary>Inserts one map row in <paramref name="state"/>; an id already taken in the collection is ALREADY_EXISTS.</summary>
    private static async Task InsertMapAsync(
        SqliteConnection connection, SqliteTransaction transaction, StoredMap map, MapState state, CancellationToken cancellationToken)
    {
        await using var insert = Command(connection, transaction, $"""
            INSERT INTO maps ({MapColumns})
            VALUES ($collection, $id, $from, $to, $kind, $state, $data, $report, $created, $updated)
            ON CONFLICT (collection, id) DO NOTHING;
            """);
        insert.Parameters.AddWithValue("$collection", map.Collection);
        insert.Parameters.AddWithValue("$id", map.Id);
        insert.Parameters.AddWithValue("$from", map.FromSpace);
        insert.Parameters.AddWithValue("$to", map.ToSpace);
        insert.Parameters.AddWithValue("$kind", (int)map.Kind);
        insert.Parameters.AddWithValue("$state", (int)state);
        insert.Parameters.AddWithValue("$data", map.Data);
        insert.Parameters.AddWithValue("$report", map.ReportJson);
        insert.Parameters.AddWithValue("$created", UnixMicroseconds.From(map.CreatedAt));
        insert.Parameters.AddWithValue("$updated", UnixMicroseconds.From(map.UpdatedAt));
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw RetrievalException.AlreadyExists($"map '{map.Id}' already exists in collection '{map.Collection}'");
        }
    }

    public async Task<IReadOnlyList<StoredMap>> ListMapsAsync(string collection, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = Command(
            connection, null, $"SELECT {MapColumns} FROM maps WHERE collection = $collection ORDER BY created_at, id;");
        command.Parameters.AddWithValue("$collection", collection);
        return await ReadMapsAsync(command, cancellationToken);
    }

    public async Task<StoredMap?> GetMapAsync(string collection, string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = Command(
            connection, null, $"SELECT {MapColumns} FROM maps WHERE collection = $collection AND id = $id;");
        command.Parameters.AddWithValue("$collection", collection);
        command.Parameters.AddWithValue("$id", id);
        return (await ReadMapsAsync(command, cancellationToken)).SingleOrDefault();
    }

    public Task<bool> SetMapStateAsync(string collection, string id, MapState state, DateTimeOffset updatedAt, CancellationToken cancellationToken) =>
        WriteTransactionAsync(
            async (connection, transaction, ct) =>
            {
                var at = UnixMicroseconds.From(updatedAt);
                if (state == MapState.Active)
                {
                    // Retire the pair's current active map first: the partial unique index would refuse two.
                    await using var retire = Command(connection, transaction, """
                        UPDATE maps SET state = $retired, updated_at = $at
                        WHERE state = $active AND id <> $id AND (collection, from_space, to_space) =
                            (SELECT collection, from_space, to_space FROM maps WHERE collection = $collection AND id = $id);
                        """);
                    retire.Parameters.AddWithValue("$retired", (int)MapState.Retired);
                    retire.Parameters.AddWithValue("$active", (int)MapState.Active);
                    retire.Parameters.AddWithValue("$at", at);
                    retire.Parameters.AddWithValue("$collection", collection);
                    retire.Parameters.AddWithValue("$id", id);
                    await retire.ExecuteNonQueryAsync(ct);
                }

                await using var update = Command(
                    connection, transaction, "UPDATE maps SET state = $state, updated_at = $at WHERE collection = $collection AND id = $id;");
                update.Parameters.AddWithValue("$state", (int)state);
                update.Parameters.AddWithValue("$at", at);
                update.Parameters.AddWithValue("$collection", collection);
                update.Parameters.AddWithValue("$id", id);
                return await update.ExecuteNonQueryAsync(ct) > 0;
            },
            cancellationToken);

    public Task<bool> SetMapReportAsync(string collection, string id, string reportJson, DateTimeOffset updatedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reportJson);
        return WriteTransactionAsync(
            async (connection, transaction, ct) =>
            {
                await using var update = Command(
                    connection, transaction, "UPDATE maps SET report = $report, updated_at = $at WHERE collection = $collection AND id = $id;");
                update.Parameters.AddWithValue("$report", reportJson);
                update.Parameters.AddWithValue("$at", UnixMicroseconds.From(updatedAt));
                update.Parameters.AddWithValue("$collection", collection);
                update.Parameters.AddWithValue("$id", id);
                return await update.ExecuteNonQueryAsync(ct) > 0;
            },
            cancellationToken);
    }

    private static async Task<List<StoredMap>> ReadMapsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var maps = new List<StoredMap>();
        while (await reader.ReadAsync(cancellationToken))
        {
            maps.Add(new StoredMap(
                reader.GetString(1),
                reader.GetString(0),
                reader.GetString(2),
                reader.GetString(3),
                (MapKind)reader.GetInt32(4),
                (MapState)reader.GetInt32(5),
                (byte[])reader.GetValue(6),
                reader.GetString(7),
                UnixMicroseconds.ToDateTimeOffset(reader.GetInt64(8)),
                UnixMicroseconds.ToDateTimeOffset(reader.GetInt64(9))));
        }

        return maps;
    }
}
