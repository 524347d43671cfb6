using Npgsql;
using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>The compatibility-map registry.</summary>
public sealed partial class PostgresRetrievalStore
{
    private const string MapColumns = "collection, id, from_space, to_space, kind, state, data, report, created_at, updated_at";

    public async Task SaveMapAsync(StoredMap map, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(map);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // FOR SHARE on the catalog row: a concurrent collection delete either sees this map or we see no collection.
        await using (var lockCollection = new NpgsqlCommand(
            "SELECT 1 FROM collections WHERE name = @name FOR SHARE;", connection, transaction))
        {
            lockCollection.Parameters.AddWithValue("name", map.Collection);
            if (await lockCollection.ExecuteScalarAsync(cancellationToken) is null)
            {
                throw CollectionNotFound(map.Collection);
            }
        }

        await InsertMapAsync(connection, transaction, map, map.State, cancellationToken);

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Inserts one map row in <paramref name="state"/>; an id already taken in the collection is ALREADY_EXISTS.</summary>
    private static async Task InsertMapAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, StoredMap map, MapState state, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            $"""
            INSERT INTO maps ({MapColumns})
            VALUES (@collection, @id, @from, @to, @kind, @state, @data, @report, @created, @updated)
            ON CONFLICT (collection, id) DO NOTHING;
            """,
            connection,
            transaction);
        insert.Parameters.AddWithValue("collection", map.Collection);
        insert.Parameters.AddWithValue("id", map.Id);
        insert.Parameters.AddWithValue("from", map.FromSpace);
        insert.Parameters.AddWithValue("to", map.ToSpace);
        insert.Parameters.AddWithValue("kind", (int)map.Kind);
        insert.Parameters.AddWithValue("state", (int)state);
        insert.Parameters.AddWithValue("data", map.Data);
        insert.Parameters.AddWithValue("report", map.ReportJson);
        insert.Parameters.AddWithValue("created", map.CreatedAt.ToUniversalTime());
        insert.Parameters.AddWithValue("updated", map.UpdatedAt.ToUniversalTime());
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw RetrievalException.AlreadyExists($"map '{map.Id}' already exists in collection '{map.Collection}'");
        }
    }

    public async Task<IReadOnlyList<StoredMap>> ListMapsAsync(string collection, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {MapColumns} FROM maps WHERE collection = @collection ORDER BY created_at, id;");
        command.Parameters.AddWithValue("collection", collection);
        return await ReadMapsAsync(command, cancellationToken);
    }

    public async Task<StoredMap?> GetMapAsync(string collection, string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {MapColumns} FROM maps WHERE collection = @collection AND id = @id;");
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("id", id);
        return (await ReadMapsAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<bool> SetMapStateAsync(string collection, string id, MapState state, DateTimeOffset updatedAt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Lock the map row first so that two activations of the same pair serialize on the pair's rows.
        string from, to;
        await using (var select = new NpgsqlCommand(
            "SELECT from_space, to_space FROM maps WHERE collection = @collection AND id = @id FOR UPDATE;", connection, transaction))
        {
            select.Parameters.AddWithValue("collection", collection);
            select.Parameters.AddWithValue("id", id);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return false;
            }

            (from, to) = (reader.GetString(0), reader.GetString(1));
        }

        if (state == MapState.Active)
        {
            // Retire the pair's current active map first: the partial unique index would refuse two.
            await using var retire = new NpgsqlCommand(
                """
                UPDATE maps SET state = @retired, updated_at = @at
                WHERE collection = @collection AND from_space = @from AND to_space = @to AND state = @active AND id <> @id;
                """,
                connection,
                transaction);
            retire.Parameters.AddWithValue("retired", (int)MapState.Retired);
            retire.Parameters.AddWithValue("active", (int)MapState.Active);
            retire.Parameters.AddWithValue("at", updatedAt.ToUniversalTime());
            retire.Parameters.AddWithValue("collection", collection);
            retire.Parameters.AddWithValue("from", from);
            retire.Parameters.AddWithValue("to", to);
            retire.Parameters.AddWithValue("id", id);
            await retire.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var update = new NpgsqlCommand(
            "UPDATE maps SET state = @state, updated_at = @at WHERE collection = @collection AND id = @id;", connection, transaction))
        {
            update.Parameters.AddWithValue("state", (int)state);
            update.Parameters.AddWithValue("at", updatedAt.ToUniversalTime());
            update.Parameters.AddWithValue("collection", collection);
            update.Parameters.AddWithValue("id", id);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> SetMapReportAsync(string collection, string id, string reportJson, DateTimeOffset updatedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reportJson);
        await using var update = dataSource.CreateCommand(
            "UPDATE maps SET report = @report, updated_at = @at WHERE collection = @collection AND id = @id;");
        update.Parameters.AddWithValue("report", reportJson);
        update.Parameters.AddWithValue("at", updatedAt.ToUniversalTime());
        update.Parameters.AddWithValue("collection", collection);
        update.Parameters.AddWithValue("id", id);
        return await update.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private static async Task<List<StoredMap>> ReadMapsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
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
                reader.GetFieldValue<byte[]>(6),
                reader.GetString(7),
                reader.GetFieldValue<DateTimeOffset>(8),
                reader.GetFieldValue<DateTimeOffset>(9)));
        }

        return maps;
    }
}
