using Npgsql;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema and its migrations. Migrations are an explicit operator step
/// (<c>retrieval db migrate</c>), never a side effect of a server start against a shared database.
/// </summary>
/// <remarks>
/// Names and ids use <c>COLLATE "C"</c>: UTF-8 byte order, the order SQLite's BINARY collation gives, so the
/// change feed is ordered the same by both stores and independently of the database's locale; it also makes
/// the primary-key comparisons cheaper than a linguistic collation.
/// </remarks>
public static class PostgresSchema
{
    /// <summary>
    /// Key of the transaction-scoped advisory lock that serializes concurrent <see cref="MigrateAsync"/> runs
    /// (e.g. several replicas running the migrate job at once). The bytes spell "RtrvSchm".
    /// </summary>
    private const long MigrationLockKey = 0x5274_7276_5363_686D;

    private static readonly (PostgresMigration Migration, string Sql)[] Migrations =
    [
        (new PostgresMigration(1, "initial schema"), """
            CREATE TABLE collections (
                name          text COLLATE "C" NOT NULL PRIMARY KEY,
                definition    text             NOT NULL,
                last_sequence bigint           NOT NULL DEFAULT 0,
                created_at    timestamptz      NOT NULL,
                updated_at    timestamptz      NOT NULL
            );
            CREATE TABLE items (
                collection text COLLATE "C" NOT NULL,
                id         text COLLATE "C" NOT NULL,
                payload    text             NOT NULL,
                seq        bigint           NOT NULL,
                PRIMARY KEY (collection, id)
            );
            CREATE INDEX items_collection_seq ON items (collection, seq, id);
            CREATE TABLE vectors (
                collection text COLLATE "C" NOT NULL,
                item_id    text COLLATE "C" NOT NULL,
                space      text COLLATE "C" NOT NULL,
                data       bytea            NOT NULL,
                seq        bigint           NOT NULL,
                PRIMARY KEY (collection, item_id, space)
            );
            -- float32 data does not compress: skip pglz attempts on large vectors (still moved out of line).
            ALTER TABLE vectors ALTER COLUMN data SET STORAGE EXTERNAL;
            CREATE TABLE tombstones (
                collection text COLLATE "C" NOT NULL,
                id         text COLLATE "C" NOT NULL,
                seq        bigint           NOT NULL,
                PRIMARY KEY (collection, id)
            );
            CREATE INDEX tombstones_collection_seq ON tombstones (collection, seq, id);
            """),
        (new PostgresMigration(2, "compatibility maps"), """
            CREATE TABLE maps (
                collection text COLLATE "C" NOT NULL,
                id         text COLLATE "C" NOT NULL,
                from_space text COLLATE "C" NOT NULL,
                to_space   text COLLATE "C" NOT NULL,
                kind       integer          NOT NULL,
                state      integer          NOT NULL,
                data       bytea            NOT NULL,
                report     text             NOT NULL,
                created_at timestamptz      NOT NULL,
                updated_at timestamptz      NOT NULL,
                PRIMARY KEY (collection, id)
            );
            -- The registry invariant, enforced by the database too: one active map per (collection, from, to).
            CREATE UNIQUE INDEX maps_one_active ON maps (collection, from_space, to_space) WHERE state = 2;
            """),
        (new PostgresMigration(3, "raw inputs"), """
            -- The text, image or tensor each item's vector in a space was encoded from (collections that keep them),
            -- so that a new model can re-encode the gallery. kind: 1 text (UTF-8), 2 image, 3 tensor.
            CREATE TABLE raw_inputs (
                collection text COLLATE "C" NOT NULL,
                item_id    text COLLATE "C" NOT NULL,
                space      text COLLATE "C" NOT NULL,
                kind       integer          NOT NULL,
                content    bytea            NOT NULL,
                PRIMARY KEY (collection, item_id, space)
            );
            -- Images are already compressed: skip pglz attempts (still moved out of line).
            ALTER TABLE raw_inputs ALTER COLUMN content SET STORAGE EXTERNAL;
            """),
    ];

    /// <summary>The schema version this build reads and writes.</summary>
    public static int CurrentVersion => Migrations[^1].Migration.Version;

    /// <summary>
    /// Brings the database's schema up to <see cref="CurrentVersion"/>. Idempotent and safe to run concurrently:
    /// everything happens in one transaction under an advisory lock. Returns the migrations it applied (empty
    /// when the schema was already current).
    /// </summary>
    public static async Task<IReadOnlyList<PostgresMigration>> MigrateAsync(string connectionString, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key);", connection, transaction))
        {
            command.Parameters.AddWithValue("key", MigrationLockKey);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(
            """
            CREATE TABLE IF NOT EXISTS schema_version (
                version    integer     NOT NULL PRIMARY KEY,
                name       text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            """,
            connection,
            transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var current = await ReadVersionAsync(connection, transaction, cancellationToken);
        ThrowIfNewer(current);

        var applied = new List<PostgresMigration>();
        foreach (var (migration, sql) in Migrations.Where(m => m.Migration.Version > current))
        {
            await using (var command = new NpgsqlCommand(sql, connection, transaction))
            {
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var command = new NpgsqlCommand(
                "INSERT INTO schema_version (version, name) VALUES (@version, @name);", connection, transaction))
            {
                command.Parameters.AddWithValue("version", migration.Version);
                command.Parameters.AddWithValue("name", migration.Name);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            applied.Add(migration);
        }

        await transaction.CommitAsync(cancellationToken);
        return applied;
    }

    /// <summary>Throws <see cref="StoreSchemaException"/> unless the schema is exactly <see cref="CurrentVersion"/>.</summary>
    internal static async Task VerifyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand("SELECT to_regclass('schema_version') IS NOT NULL;", connection))
        {
            if (await command.ExecuteScalarAsync(cancellationToken) is not true)
            {
                throw new StoreSchemaException(
                    $"the PostgreSQL database has no Retrieval schema; run `retrieval db migrate` (schema version {CurrentVersion})");
            }
        }

        var version = await ReadVersionAsync(connection, null, cancellationToken);
        ThrowIfNewer(version);
        if (version < CurrentVersion)
        {
            throw new StoreSchemaException(
                $"the PostgreSQL schema is at version {version}, this build needs {CurrentVersion}; run `retrieval db migrate`");
        }
    }

    private static async Task<int> ReadVersionAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version;", connection, transaction);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static void ThrowIfNewer(int version)
    {
        if (version > CurrentVersion)
        {
            throw new StoreSchemaException(
                $"the PostgreSQL schema is at version {version}, newer than this build's {CurrentVersion}; upgrade the server");
        }
    }
}
