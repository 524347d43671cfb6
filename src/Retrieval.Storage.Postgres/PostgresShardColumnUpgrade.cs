using Npgsql;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// Schema upgrade 12: every item and tombstone records its shard, so that a shard replica can read its own changes
/// (<see cref="IItemStore.ReadShardChangesAsync"/>) through a (collection_key, shard, seq) index. Writes get the shard from
/// the engine (<see cref="WriteBatch.Shards"/>); the rows already there are filled here, once, by
/// <see cref="ShardAssignment"/> with each collection's shard count, computed in C# because PostgreSQL has no XxHash64.
/// </summary>
/// <remarks>
/// The new columns start at 0 (a constant default, so adding them rewrites nothing), which is already right for every
/// one-shard collection; only collections with more shards are walked, by primary key in pages, and updated. The indexes
/// are built after the fill, and the default is dropped so that a write that forgot the shard fails instead of filing
/// rows under shard 0.
/// </remarks>
internal static class PostgresShardColumnUpgrade
{
    /// <summary>Ids read and updated per round: bounds the upgrade's memory on a collection of millions of items.</summary>
    private const int PageSize = 10_000;

    public const string Sql = """
        ALTER TABLE items ADD COLUMN shard smallint NOT NULL DEFAULT 0;
        ALTER TABLE tombstones ADD COLUMN shard smallint NOT NULL DEFAULT 0;
        """;

    private const string IndexSql = """
        ALTER TABLE items ALTER COLUMN shard DROP DEFAULT;
        ALTER TABLE tombstones ALTER COLUMN shard DROP DEFAULT;
        -- A shard's change feed, walked like the collection's (collection_key, seq) index.
        CREATE INDEX items_collection_shard_seq ON items (collection_key, shard, seq);
        CREATE INDEX tombstones_collection_shard_seq ON tombstones (collection_key, shard, seq);
        """;

    public static async Task FillAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var sharded = new List<(int Key, int Shards)>();
        await using (var collections = new NpgsqlCommand("SELECT key, name, definition FROM collections ORDER BY key;", connection, transaction))
        await using (var reader = await collections.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var definition = CollectionDefinitionJson.Deserialize(reader.GetString(1), reader.GetString(2), default, default);
                if (definition.Shards > 1)
                {
                    sharded.Add((reader.GetInt32(0), definition.Shards));
                }
            }
        }

        foreach (var (key, shards) in sharded)
        {
            await FillTableAsync(connection, transaction, "items", key, shards, cancellationToken);
            await FillTableAsync(connection, transaction, "tombstones", key, shards, cancellationToken);
        }

        await using var index = new NpgsqlCommand(IndexSql, connection, transaction);
        await index.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task FillTableAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string table, int key, int shards, CancellationToken cancellationToken)
    {
        await using var page = new NpgsqlCommand(
            $"SELECT id FROM {table} WHERE collection_key = @key AND id > @after ORDER BY id LIMIT @limit;", connection, transaction);
        page.Parameters.AddWithValue("key", key);
        page.Parameters.AddWithValue("limit", PageSize);
        var after = page.Parameters.AddWithValue("after", string.Empty);

        await using var update = new NpgsqlCommand(
            $"""
            UPDATE {table} AS t SET shard = u.shard
            FROM unnest(@ids::text[], @shards::smallint[]) AS u(id, shard)
            WHERE t.collection_key = @key AND t.id = u.id;
            """,
            connection,
            transaction);
        update.Parameters.AddWithValue("key", key);
        var ids = update.Parameters.AddWithValue("ids", Array.Empty<string>());
        var numbers = update.Parameters.AddWithValue("shards", Array.Empty<short>());

        while (true)
        {
            var read = new List<string>(PageSize);
            await using (var reader = await page.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    read.Add(reader.GetString(0));
                }
            }

            if (read.Count == 0)
            {
                return;
            }

            ids.Value = read.ToArray();
            numbers.Value = read.Select(id => (short)ShardAssignment.ShardOf(id, shards)).ToArray();
            await update.ExecuteNonQueryAsync(cancellationToken);
            if (read.Count < PageSize)
            {
                return;
            }

            after.Value = read[^1];
        }
    }
}
