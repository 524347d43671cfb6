using Retrieval.Core.Errors;
using Retrieval.Core.Storage;
using Retrieval.Storage.Conformance;
using Retrieval.Testing;

namespace Retrieval.Storage.Postgres.Tests;

/// <summary>
/// Shard snapshot files in PostgreSQL (<see cref="IShardSnapshotStore"/>): the bytes come back exactly as written across
/// chunk boundaries, a write replaces the shard's previous file whole, and they go with their collection.
/// </summary>
public sealed class PostgresShardSnapshotTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [PostgresFact]
    public async Task Write_ThenRead_GivesTheSameBytesAndSequence_AndAWriteReplacesTheShardsFile()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, Ct);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);
        var collection = TestData.Collection("c") with { Shards = 2 };
        await store.CreateCollectionAsync(collection, Ct);
        Assert.False(await store.HasShardSnapshotsAsync("c", Ct));
        Assert.Null(await ReadAsync(store, "c", 0));

        // Across chunks: two whole chunks and a part.
        var large = Bytes(2 * PostgresRetrievalStore.SnapshotChunkBytes + 12_345, seed: 1);
        await store.WriteShardSnapshotAsync("c", 0, 17, new MemoryStream(large), Ct);
        var exact = Bytes(PostgresRetrievalStore.SnapshotChunkBytes, seed: 2);
        await store.WriteShardSnapshotAsync("c", 1, 18, new MemoryStream(exact), Ct);

        Assert.True(await store.HasShardSnapshotsAsync("c", Ct));
        await AssertReadsAsync(store, "c", 0, 17, large);
        await AssertReadsAsync(store, "c", 1, 18, exact);

        var smaller = Bytes(100, seed: 3);
        await store.WriteShardSnapshotAsync("c", 0, 25, new MemoryStream(smaller), Ct);
        await AssertReadsAsync(store, "c", 0, 25, smaller);
        Assert.Null(await ReadAsync(store, "c", 2));
        Assert.Null(await ReadAsync(store, "unknown", 0));

        await store.DeleteShardSnapshotsAsync("c", Ct);
        Assert.False(await store.HasShardSnapshotsAsync("c", Ct));
        Assert.Null(await ReadAsync(store, "c", 1));
    }

    [PostgresFact]
    public async Task Write_ForAnUnknownCollection_IsNotFound_AndDeletingACollectionDeletesItsSnapshots()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, Ct);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);

        var unknown = await Assert.ThrowsAsync<RetrievalException>(() => store.WriteShardSnapshotAsync("nope", 0, 1, new MemoryStream([1, 2, 3]), Ct));
        Assert.Equal(ErrorKind.NotFound, unknown.Kind);

        await store.CreateCollectionAsync(TestData.Collection("c"), Ct);
        await store.WriteShardSnapshotAsync("c", 0, 1, new MemoryStream(Bytes(10, seed: 4)), Ct);
        Assert.True(await store.DeleteCollectionAsync("c", Ct));
        await store.CreateCollectionAsync(TestData.Collection("c"), Ct);

        // The new collection of the same name starts without the old one's snapshots.
        Assert.False(await store.HasShardSnapshotsAsync("c", Ct));
        Assert.Null(await ReadAsync(store, "c", 0));
    }

    private static async Task AssertReadsAsync(PostgresRetrievalStore store, string collection, int shard, long sequence, byte[] bytes)
    {
        var read = await ReadAsync(store, collection, shard);
        Assert.NotNull(read);
        Assert.Equal(sequence, read.Value.Sequence);
        Assert.True(bytes.AsSpan().SequenceEqual(read.Value.Bytes), $"shard {shard}: {read.Value.Bytes.Length} bytes read back, {bytes.Length} written, not the same");
    }

    private static async Task<(long Sequence, byte[] Bytes)?> ReadAsync(PostgresRetrievalStore store, string collection, int shard)
    {
        using var destination = new MemoryStream();
        var sequence = await store.ReadShardSnapshotAsync(collection, shard, destination, Ct);
        if (sequence is null)
        {
            Assert.Equal(0, destination.Length);
            return null;
        }

        return (sequence.Value, destination.ToArray());
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
