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
