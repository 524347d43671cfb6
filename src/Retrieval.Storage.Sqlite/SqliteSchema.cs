using Microsoft.Data.Sqlite;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>
/// The SQLite schema and its versioned upgrades. The embedded store upgrades itself on open (there is no operator
/// step for a single-file database); each upgrade runs in the same transaction as its schema_version row.
/// </summary>
/// <remarks>
/// Ids and names compare with SQLite's BINARY collation (UTF-8 byte order), the same order the PostgreSQL
/// schema gets from <c>COLLATE "C"</c>, so both stores order the change feed identically.
/// Timestamps are INTEGER microseconds since the Unix epoch: the precision PostgreSQL keeps.
/// </remarks>
internal static class SqliteSchema
{
    /// <summary>
    /// Every upgrade: its SQL, then, for the few that compute values no SQL can (the shard of each id), a step in C# run in
    /// the same transaction.
    /// </summary>
    private static readonly (int Version, string Name, string Sql, Func<SqliteConnection, SqliteTransaction, CancellationToken, Task>? Then)[] Upgrades =
    [
        (1, "initial schema", """
            CREATE TABLE collections (
                name          TEXT    NOT NULL PRIMARY KEY,
                definition    TEXT    NOT NULL,
                last_sequence INTEGER NOT NULL DEFAULT 0,
                created_at    INTEGER NOT NULL,
                updated_at    INTEGER NOT NULL
            );
            CREATE TABLE items (
                collection TEXT    NOT NULL,
                id         TEXT    NOT NULL,
                payload    TEXT    NOT NULL,
                seq        INTEGER NOT NULL,
                PRIMARY KEY (collection, id)
            );
            CREATE INDEX items_collection_seq ON items (collection, seq, id);
            CREATE TABLE vectors (
                collection TEXT    NOT NULL,
                item_id    TEXT    NOT NULL,
                space      TEXT    NOT NULL,
                data       BLOB    NOT NULL,
                seq        INTEGER NOT NULL,
                PRIMARY KEY (collection, item_id, space)
            );
            CREATE TABLE tombstones (
                collection TEXT    NOT NULL,
                id         TEXT    NOT NULL,
                seq        INTEGER NOT NULL,
                PRIMARY KEY (collection, id)
            );
            CREATE INDEX tombstones_collection_seq ON tombstones (collection, seq, id);
            """, null),
        (2, "compatibility maps", """
            CREATE TABLE maps (
                collection TEXT    NOT NULL,
                id         TEXT    NOT NULL,
                from_space TEXT    NOT NULL,
                to_space   TEXT    NOT NULL,
                kind       INTEGER NOT NULL,
                state      INTEGER NOT NULL,
                data       BLOB    NOT NULL,
                report     TEXT    NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                PRIMARY KEY (collection, id)
            );
            -- The registry invariant, enforced by the database too: one active map per (collection, from, to).
            CREATE UNIQUE INDEX maps_one_active ON maps (collection, from_space, to_space) WHERE state = 2;
            """, null),
        (3, "raw inputs", """
            -- The text, image or tensor each item's vector in a space was encoded from (collections that keep them),
            -- so that a new model can re-encode the gallery. kind: 1 text (UTF-8), 2 image, 3 tensor.
            CREATE TABLE raw_inputs (
                collection TEXT    NOT NULL,
                item_id    TEXT    NOT NULL,
                space      TEXT    NOT NULL,
                kind       INTEGER NOT NULL,
                content    BLOB    NOT NULL,
                PRIMARY KEY (collection, item_id, space)
            );
            """, null),
        (4, "model-upgrade migrations", """
            CREATE TABLE migrations (
                collection             TEXT    NOT NULL,
                id                     TEXT    NOT NULL,
                from_space             TEXT    NOT NULL,
                to_space               TEXT    NOT NULL,
                encoder                TEXT,
                phase                  INTEGER NOT NULL,
                settings               TEXT    NOT NULL,
                map_id                 TEXT,
                inverse_map_id         TEXT,
                calibration            TEXT,
                worker_cursor          TEXT,
                client_checkpoint      TEXT,
                backfilled             INTEGER NOT NULL DEFAULT 0,
                mapped_on_write        INTEGER NOT NULL DEFAULT 0,
                derived_on_write       INTEGER NOT NULL DEFAULT 0,
                previous_default_space TEXT,
                created_at             INTEGER NOT NULL,
                updated_at             INTEGER NOT NULL,
                changed_by             TEXT    NOT NULL,
                PRIMARY KEY (collection, id)
            );
            -- At most one open migration (not retired = 8, not rolled back = 9) per (collection, from space).
            CREATE UNIQUE INDEX migrations_one_open ON migrations (collection, from_space) WHERE phase NOT IN (8, 9);
            CREATE TABLE migration_events (
                event_no     INTEGER PRIMARY KEY AUTOINCREMENT,
                collection   TEXT    NOT NULL,
                migration_id TEXT    NOT NULL,
                at           INTEGER NOT NULL,
                from_phase   INTEGER,
                to_phase     INTEGER NOT NULL,
                actor        TEXT    NOT NULL,
                note         TEXT    NOT NULL
            );
            CREATE INDEX migration_events_by_migration ON migration_events (collection, migration_id, event_no);
            CREATE TABLE migration_derived (
                collection   TEXT NOT NULL,
                migration_id TEXT NOT NULL,
                item_id      TEXT NOT NULL,
                PRIMARY KEY (collection, migration_id, item_id)
            );
            """, null),
        (5, "api keys", """
            -- API keys: the secret is never stored, only HMAC-SHA256(salt, secret). scope: 1 read, 2 write, 3 admin.
            -- collections: a JSON array of names and patterns, empty for every collection. Times as elsewhere.
            CREATE TABLE api_keys (
                id          TEXT    NOT NULL PRIMARY KEY,
                name        TEXT    NOT NULL,
                scope       INTEGER NOT NULL,
                collections TEXT    NOT NULL,
                salt        BLOB    NOT NULL,
                hash        BLOB    NOT NULL,
                created_at  INTEGER NOT NULL,
                created_by  TEXT    NOT NULL,
                expires_at  INTEGER,
                revoked_at  INTEGER
            );
            """, null),
        (6, "collection aliases", """
            -- Another name for a collection, usable wherever a collection is named; switched atomically (blue/green).
            CREATE TABLE aliases (
                alias      TEXT    NOT NULL PRIMARY KEY,
                collection TEXT    NOT NULL,
                updated_at INTEGER NOT NULL
            );
            """, null),
        (7, "migration anchor statistics (online refit)", """
            -- A migration's streamed anchor statistics (Core AnchorStatistics, binary) and its bounded reservoir sample of
            -- anchor items, both written in the transaction of the batch that added the pairs.
            CREATE TABLE migration_statistics (
                collection     TEXT    NOT NULL,
                migration_id   TEXT    NOT NULL,
                data           BLOB    NOT NULL,
                held_out_pairs INTEGER NOT NULL,
                seed_pairs     INTEGER NOT NULL,
                PRIMARY KEY (collection, migration_id)
            );
            CREATE TABLE migration_reservoir (
                collection   TEXT    NOT NULL,
                migration_id TEXT    NOT NULL,
                slot         INTEGER NOT NULL,
                item_id      TEXT    NOT NULL,
                PRIMARY KEY (collection, migration_id, slot)
            );
            """, null),
        (8, "shard column on items and tombstones", SqliteShardColumnUpgrade.Sql, SqliteShardColumnUpgrade.FillAsync),
        (9, "migration statistics version (compare-and-set) and stored evaluation queries", """
            -- How many batches replaced a migration's statistics (0: fit's inline anchors): each batch's replacement is a
            -- compare-and-set on it, so two writers cannot overwrite each other's pairs.
            ALTER TABLE migration_statistics ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
            -- The operator's evaluation queries (engine-serialized), kept so that online refit judges on them after a restart.
            ALTER TABLE migrations ADD COLUMN evaluation_queries BLOB;
            """, null),
    ];

    /// <summary>The schema version this build writes and reads.</summary>
    public static int CurrentVersion => Upgrades[^1].Version;

    /// <summary>How many upgrades bring an empty database to <see cref="CurrentVersion"/> (numbers are reserved per branch, so some may be skipped).</summary>
    public static int UpgradeCount => Upgrades.Length;

    public static Task UpgradeAsync(SqliteConnection connection, CancellationToken cancellationToken) =>
        UpgradeAsync(connection, CurrentVersion, cancellationToken);

    /// <summary>
    /// Applies the upgrades up to <paramref name="targetVersion"/> only: lets tests build a file as an older release left it
    /// and then check the step to the current schema.
    /// </summary>
    internal static async Task UpgradeAsync(SqliteConnection connection, int targetVersion, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVersion, CurrentVersion);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = connection.CreateCommand())
        {
            create.Transaction = transaction;
            create.CommandText = """
                CREATE TABLE IF NOT EXISTS schema_version (
                    version    INTEGER NOT NULL PRIMARY KEY,
                    name       TEXT    NOT NULL,
                    applied_at INTEGER NOT NULL
                );
                """;
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        long applied;
        await using (var query = connection.CreateCommand())
        {
            query.Transaction = transaction;
            query.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version;";
            applied = (long)(await query.ExecuteScalarAsync(cancellationToken))!;
        }

        if (applied > CurrentVersion)
        {
            throw new StoreSchemaException(
                $"the SQLite store has schema version {applied}, newer than this build's {CurrentVersion}; upgrade the server");
        }

        foreach (var (version, name, sql, then) in Upgrades.Where(u => u.Version > applied && u.Version <= targetVersion))
        {
            await using var upgrade = connection.CreateCommand();
            upgrade.Transaction = transaction;
            upgrade.CommandText = sql;
            await upgrade.ExecuteNonQueryAsync(cancellationToken);
            if (then is not null)
            {
                await then(connection, transaction, cancellationToken);
            }

            await using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO schema_version (version, name, applied_at) VALUES ($version, $name, $at);";
            record.Parameters.AddWithValue("$version", version);
            record.Parameters.AddWithValue("$name", name);
            record.Parameters.AddWithValue("$at", UnixMicroseconds.From(DateTimeOffset.UtcNow));
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
