using Microsoft.Data.Sqlite;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>
/// Schema upgrade 8: every item and tombstone records its shard, so that one shard's changes can be read on their own
/// (<see cref="IItemStore.ReadShardChangesAsync"/>) through a (collection, shard, seq, id) index. Writes get the shard from
/// the engine (<see cref="WriteBatch.Shards"/>); the rows already there are filled here, once, by
/// <see cref="ShardAssignment"/> with each collection's shard count (a C# function SQLite calls per row).
/// </summary>
internal static class SqliteShardColumnUpgrade
{
    private const string ShardFunction = "retrieval_shard_of";

    public const string Sql = """
        ALTER TABLE items ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE tombstones ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
        """;

    private const string IndexSql = """
        -- A shard's change feed, walked like the collection's (collection, seq, id) index.
        CREATE INDEX items_collection_shard_seq ON items (collection, shard, seq, id);
        CREATE INDEX tombstones_collection_shard_seq ON tombstones (collection, shard, seq, id);
        """;

    public static async Task FillAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        // Rows of one-shard collections keep the default 0, which is their shard.
        var sharded = new List<(string Name, int Shards)>();
        await using (var collections = connection.CreateCommand())
        {
            collections.Transaction = transaction;
            collections.CommandText = "SELECT name, definition FROM collections;";
            await using var reader = await collections.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var definition = CollectionDefinitionJson.Deserialize(reader.GetString(0), reader.GetString(1), default, default);
                if (definition.Shards > 1)
                {
                    sharded.Add((definition.Name, definition.Shards));
                }
            }
        }

        connection.CreateFunction<string, long, long>(ShardFunction, (id, shards) => ShardAssignment.ShardOf(id, (int)shards), isDeterministic: true);
        foreach (var (name, shards) in sharded)
        {
            foreach (var table in new[] { "items", "tombstones" })
            {
                await using var fill = connection.CreateCommand();
                fill.Transaction = transaction;
                fill.CommandText = $"UPDATE {table} SET shard = {ShardFunction}(id, $shards) WHERE collection = $name;";
                fill.Parameters.AddWithValue("$shards", shards);
                fill.Parameters.AddWithValue("$name", name);
                await fill.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await using var index = connection.CreateCommand();
        index.Transaction = transaction;
        index.CommandText = IndexSql;
        await index.ExecuteNonQueryAsync(cancellationToken);
    }
}
