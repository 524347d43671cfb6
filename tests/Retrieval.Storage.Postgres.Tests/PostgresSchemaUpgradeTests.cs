using Npgsql;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Storage.Conformance;
using Retrieval.Testing;

namespace Retrieval.Storage.Postgres.Tests;

/// <summary>
/// Existing databases through the versioned schema upgrades: rows written by the schema an older release left are
/// read back unchanged by the current store after <c>retrieval db migrate</c>.
/// </summary>
public sealed class PostgresSchemaUpgradeTests
{
    [PostgresFact]
    public async Task UpgradeAsync_FromVersion2_MovesVectorsIntoItemsAndKeepsTheFeed()
    {
        await using var database = await TestDatabase.CreateAsync(CancellationToken.None);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, 2, CancellationToken.None);
        var first = TestData.Collection("first");
        var second = TestData.Collection("second");
        var both = TestData.Item("both", 1, "{\"k\":1}", withOther: true);
        var dense = TestData.Item("dense-only", 2);
        var bare = new ItemWrite("no-vectors", "{\"k\":3}", new Dictionary<string, float[]>());
        var elsewhere = TestData.Item("both", 4);

        // The version-2 layout: text collection keys, one vectors row per (item, space).
        await ExecuteAsync(database.ConnectionString, """
            INSERT INTO collections (name, definition, last_sequence, created_at, updated_at)
            VALUES (@first, @definition, 7, now(), now()), (@second, @definition, 2, now(), now());
            INSERT INTO items (collection, id, payload, seq) VALUES
                (@first, 'both', '{"k":1}', 5), (@first, 'dense-only', '{}', 3), (@first, 'no-vectors', '{"k":3}', 6),
                (@second, 'both', '{}', 2);
            INSERT INTO vectors (collection, item_id, space, data, seq) VALUES
                (@first, 'both', @dense, @both_dense, 5), (@first, 'both', @other, @both_other, 5),
                (@first, 'dense-only', @dense, @dense_only, 3), (@second, 'both', @dense, @elsewhere, 2);
            INSERT INTO tombstones (collection, id, seq) VALUES (@first, 'gone', 7);
            """,
            ("first", first.Name),
            ("second", second.Name),
            ("definition", CollectionDefinitionJson.Serialize(first)),
            ("dense", TestData.Dense),
            ("other", TestData.Sparse),
            ("both_dense", VectorBytes.Encode(both.Vectors[TestData.Dense])),
            ("both_other", VectorBytes.Encode(both.Vectors[TestData.Sparse])),
            ("dense_only", VectorBytes.Encode(dense.Vectors[TestData.Dense])),
            ("elsewhere", VectorBytes.Encode(elsewhere.Vectors[TestData.Dense])));

        var applied = await PostgresSchema.UpgradeAsync(database.ConnectionString, CancellationToken.None);

        Assert.Equal(3, applied[0].Version);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);
        await store.OpenAsync(CancellationToken.None);
        var feed = await ReadAllAsync(store, first.Name);
        Assert.Equal(
            [("dense-only", 3L, false), ("both", 5L, false), ("no-vectors", 6L, false), ("gone", 7L, true)],
            feed.Select(c => (c.Id, c.Sequence, c.IsDelete)));
        TestData.AssertSameItem(new StoredItem("both", "{\"k\":1}", both.Vectors, 5), feed[1].Item!);
        TestData.AssertSameItem(new StoredItem("dense-only", "{}", dense.Vectors, 3), feed[0].Item!);
        TestData.AssertSameItem(new StoredItem("no-vectors", "{\"k\":3}", bare.Vectors, 6), feed[2].Item!);
        var other = Assert.Single(await ReadAllAsync(store, second.Name));
        TestData.AssertSameItem(new StoredItem("both", "{}", elsewhere.Vectors, 2), other.Item!);

        // Writing goes on from the stored sequence, and a merge keeps the migrated vector of the unnamed space.
        var sequence = await store.WriteAsync(first.Name, WriteBatch.ForUpserts([TestData.Item("both", 9)]), CancellationToken.None);
        Assert.Equal(8, sequence);
        var merged = Assert.Single(await store.GetItemsAsync(first.Name, ["both"], CancellationToken.None));
        TestData.AssertSameVectors(
            new Dictionary<string, float[]>
            {
                [TestData.Dense] = TestData.Item("both", 9).Vectors[TestData.Dense],
                [TestData.Sparse] = both.Vectors[TestData.Sparse],
            },
            merged.Vectors);
        Assert.True(await store.DeleteCollectionAsync(second.Name, CancellationToken.None));
        Assert.Equal(3, await store.CountItemsAsync(first.Name, CancellationToken.None));
    }

    [PostgresFact]
    public async Task UpgradeAsync_FromVersion11_FillsEachRowsShardFromItsCollectionsShardCount()
    {
        await using var database = await TestDatabase.CreateAsync(CancellationToken.None);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, 11, CancellationToken.None);
        var sharded = TestData.Collection("sharded") with { Shards = 5 };
        var single = TestData.Collection("single");
        var ids = Enumerable.Range(0, 25_000).Select(i => $"item-{i}").ToArray();

        // The version-11 layout: no shard columns. More ids than one page of the fill.
        await ExecuteAsync(database.ConnectionString, """
            INSERT INTO collections (name, definition, last_sequence, created_at, updated_at)
            VALUES (@sharded, @sharded_definition, 3, now(), now()), (@single, @single_definition, 1, now(), now());
            INSERT INTO items (collection_key, seq, id, payload, spaces, vectors)
            SELECT (SELECT key FROM collections WHERE name = @sharded), 1 + (n % 2), 'item-' || n, '{}', '{}', '{}'
            FROM generate_series(0, 24999) AS n;
            INSERT INTO items (collection_key, seq, id, payload, spaces, vectors)
            VALUES ((SELECT key FROM collections WHERE name = @single), 1, 'item-7', '{}', '{}', '{}');
            INSERT INTO tombstones (collection_key, seq, id)
            VALUES ((SELECT key FROM collections WHERE name = @sharded), 3, 'gone-1'), ((SELECT key FROM collections WHERE name = @sharded), 3, 'gone-2');
            """,
            ("sharded", sharded.Name),
            ("single", single.Name),
            ("sharded_definition", CollectionDefinitionJson.Serialize(sharded)),
            ("single_definition", CollectionDefinitionJson.Serialize(single)));

        var applied = await PostgresSchema.UpgradeAsync(database.ConnectionString, CancellationToken.None);

        Assert.Contains(applied, u => u.Version == 12);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);
        await store.OpenAsync(CancellationToken.None);
        var all = await ReadAllAsync(store, sharded.Name);
        Assert.Equal(ids.Length + 2, all.Count);
        Assert.All(all, c => Assert.Equal(ShardAssignment.ShardOf(c.Id, 5), c.Shard));
        var perShard = new List<ItemChange>();
        for (var shard = 0; shard < 5; shard++)
        {
            var part = await ReadShardAsync(store, sharded.Name, shard);
            Assert.All(part, c => Assert.Equal(shard, c.Shard));
            perShard.AddRange(part);
        }

        Assert.Equal(all.Select(c => c.Id).Order(StringComparer.Ordinal), perShard.Select(c => c.Id).Order(StringComparer.Ordinal));
        Assert.Equal(["item-7"], (await ReadShardAsync(store, single.Name, 0)).Select(c => c.Id));

        // A write without a shard is refused by the schema itself: the column has no default any more.
        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(
            database.ConnectionString,
            "INSERT INTO items (collection_key, seq, id, payload, spaces, vectors) VALUES ((SELECT key FROM collections WHERE name = @single), 2, 'x', '{}', '{}', '{}');",
            ("single", single.Name)));
        Assert.Equal(PostgresErrorCodes.NotNullViolation, error.SqlState);
    }

    private static async Task<List<ItemChange>> ReadShardAsync(PostgresRetrievalStore store, string collection, int shard)
    {
        var changes = new List<ItemChange>();
        await foreach (var change in store.ReadShardChangesAsync(collection, shard, 0, CancellationToken.None))
        {
            changes.Add(change);
        }

        return changes;
    }

    private static async Task<List<ItemChange>> ReadAllAsync(PostgresRetrievalStore store, string collection)
    {
        var changes = new List<ItemChange>();
        await foreach (var change in store.ReadChangesAsync(collection, 0, CancellationToken.None))
        {
            changes.Add(change);
        }

        return changes;
    }

    private static async Task ExecuteAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }
}
