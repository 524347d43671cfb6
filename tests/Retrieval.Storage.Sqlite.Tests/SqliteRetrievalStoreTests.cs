using Microsoft.Data.Sqlite;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Storage.Conformance;

namespace Retrieval.Storage.Sqlite.Tests;

/// <summary>SQLite-specific behaviour: the file, its journal mode and schema versioning.</summary>
public sealed class SqliteRetrievalStoreTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "retrieval-sqlite-tests", Guid.NewGuid().ToString("N"), "nested");

    [Fact]
    public async Task OpenAsync_MissingDirectory_CreatesWalDatabaseAtCurrentVersion()
    {
        await using (var store = new SqliteRetrievalStore(directory))
        {
            await store.OpenAsync(CancellationToken.None);
            Assert.Equal(Path.Combine(directory, "retrieval.db"), store.DatabasePath);
            Assert.Equal("sqlite", store.Kind);
        }

        Assert.Equal("wal", await QueryAsync("PRAGMA journal_mode;"));
        Assert.Equal((long)SqliteSchema.CurrentVersion, await QueryAsync("SELECT MAX(version) FROM schema_version;"));
    }

    [Fact]
    public async Task OpenAsync_Twice_UpgradesTheSchemaOnlyOnce()
    {
        for (var i = 0; i < 2; i++)
        {
            await using var store = new SqliteRetrievalStore(directory);
            await store.OpenAsync(CancellationToken.None);
        }

        Assert.Equal((long)SqliteSchema.UpgradeCount, await QueryAsync("SELECT COUNT(*) FROM schema_version;"));
    }

    [Fact]
    public async Task OpenAsync_NewerSchemaVersion_ThrowsStoreSchemaException()
    {
        await using (var store = new SqliteRetrievalStore(directory))
        {
            await store.OpenAsync(CancellationToken.None);
        }

        await QueryAsync("INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', 0);");

        await using var newer = new SqliteRetrievalStore(directory);
        var error = await Assert.ThrowsAsync<StoreSchemaException>(() => newer.OpenAsync(CancellationToken.None));
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_FromVersion7_FillsEachRowsShardFromItsCollectionsShardCount()
    {
        Directory.CreateDirectory(directory);
        var sharded = TestData.Collection("sharded") with { Shards = 3 };
        var single = TestData.Collection("single");
        await using (var connection = new SqliteConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await SqliteSchema.UpgradeAsync(connection, 7, CancellationToken.None);
            await using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO collections (name, definition, last_sequence, created_at, updated_at)
                VALUES ('sharded', $sharded, 2, 0, 0), ('single', $single, 1, 0, 0);
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
                INSERT INTO items (collection, id, payload, seq) SELECT 'sharded', 'item-' || i, '{}', 1 FROM n;
                INSERT INTO items (collection, id, payload, seq) VALUES ('single', 'item-7', '{}', 1);
                INSERT INTO tombstones (collection, id, seq) VALUES ('sharded', 'gone-1', 2), ('sharded', 'gone-2', 2);
                """;
            insert.Parameters.AddWithValue("$sharded", CollectionDefinitionJson.Serialize(sharded));
            insert.Parameters.AddWithValue("$single", CollectionDefinitionJson.Serialize(single));
            await insert.ExecuteNonQueryAsync();
        }

        await using var store = new SqliteRetrievalStore(directory);
        await store.OpenAsync(CancellationToken.None);

        var all = await ReadAsync(store.ReadChangesAsync("sharded", 0, CancellationToken.None));
        Assert.Equal(302, all.Count);
        Assert.All(all, c => Assert.Equal(ShardAssignment.ShardOf(c.Id, 3), c.Shard));
        var perShard = new List<ItemChange>();
        for (var shard = 0; shard < 3; shard++)
        {
            perShard.AddRange(await ReadAsync(store.ReadShardChangesAsync("sharded", shard, 0, CancellationToken.None)));
        }

        Assert.Equal(all.Select(c => c.Id).Order(StringComparer.Ordinal), perShard.Select(c => c.Id).Order(StringComparer.Ordinal));
        Assert.Equal(["item-7"], (await ReadAsync(store.ReadShardChangesAsync("single", 0, 0, CancellationToken.None))).Select(c => c.Id));
    }

    private static async Task<List<ItemChange>> ReadAsync(IAsyncEnumerable<ItemChange> changes)
    {
        var list = new List<ItemChange>();
        await foreach (var change in changes)
        {
            list.Add(change);
        }

        return list;
    }

    public void Dispose()
    {
        var root = Path.GetDirectoryName(directory)!;
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private string ConnectionString => new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(directory, "retrieval.db"),
        Pooling = false,
    }.ToString();

    private async Task<object?> QueryAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
