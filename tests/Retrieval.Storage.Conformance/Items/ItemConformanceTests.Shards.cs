using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

public abstract partial class ItemConformanceTests<TFixture>
    where TFixture : class, IStoreFixture
{
    // Shards: the store records the shard each batch gives an id, and reads one shard's changes on their own.

    private const int TestShards = 4;

    [StoreFact]
    public async Task ReadShardChanges_EachShard_YieldsItsPartOfTheFeedInOrder()
    {
        var collection = await NewShardedCollectionAsync();
        var ids = Enumerable.Range(0, 40).Select(i => $"item-{i}").ToList();
        await WriteShardedAsync(collection, ids.Take(30).Select((id, i) => TestData.Item(id, i)).ToList(), []);
        await WriteShardedAsync(collection, ids.Skip(30).Select((id, i) => TestData.Item(id, 100 + i)).ToList(), ["item-1", "item-2", "item-3"]);
        await WriteShardedAsync(collection, [TestData.Item("item-5", 7, """{"v":2}""")], ["item-30", "no-such-item"]);

        var all = await ReadAllChangesAsync(collection, 0);
        Assert.All(all, c => Assert.Equal(ShardAssignment.ShardOf(c.Id, TestShards), c.Shard));
        var seen = 0;
        for (var shard = 0; shard < TestShards; shard++)
        {
            var part = await ReadShardChangesAsync(collection, shard, 0);
            TestData.AssertSameChanges(all.Where(c => c.Shard == shard).ToList(), part);
            seen += part.Count;
        }

        Assert.Equal(all.Count, seen);
        Assert.Contains(all, c => c.IsDelete);
    }

    [StoreFact]
    public async Task ReadShardChanges_AfterSequence_YieldsOnlyLaterChangesOfThatShard()
    {
        var collection = await NewShardedCollectionAsync();
        var ids = Enumerable.Range(0, 24).Select(i => $"x{i}").ToList();
        var first = await WriteShardedAsync(collection, ids.Select((id, i) => TestData.Item(id, i)).ToList(), []);
        var shard = ShardAssignment.ShardOf("x0", TestShards);
        var sameShard = ids.Where(id => ShardAssignment.ShardOf(id, TestShards) == shard).ToList();
        var otherShard = ids.First(id => ShardAssignment.ShardOf(id, TestShards) != shard);
        var second = await WriteShardedAsync(collection, [TestData.Item(otherShard, 50)], [sameShard[1]]);
        var third = await WriteShardedAsync(collection, [TestData.Item("x0", 51)], []);

        var afterFirst = await ReadShardChangesAsync(collection, shard, first);

        Assert.Equal([(sameShard[1], second, true), ("x0", third, false)], afterFirst.Select(c => (c.Id, c.Sequence, c.IsDelete)));
        Assert.Empty(await ReadShardChangesAsync(collection, shard, third));
        Assert.Equal([otherShard], (await ReadShardChangesAsync(collection, ShardAssignment.ShardOf(otherShard, TestShards), first)).Select(c => c.Id));
    }

    [StoreFact]
    public async Task ReadShardChanges_MoreThanOnePageInOneShard_StreamsAllInOrder()
    {
        var collection = await NewShardedCollectionAsync();
        var items = Enumerable.Range(0, 2400).Select(i => TestData.Item($"p{i:D5}", i)).ToList();
        await WriteShardedAsync(collection, items.Take(1200).ToList(), []);
        await WriteShardedAsync(collection, items.Skip(1200).ToList(), items.Take(600).Select(i => i.Id).ToList());

        var all = await ReadAllChangesAsync(collection, 0);
        for (var shard = 0; shard < TestShards; shard++)
        {
            var part = await ReadShardChangesAsync(collection, shard, 0);
            TestData.AssertFeedOrder(part);
            TestData.AssertSameChanges(all.Where(c => c.Shard == shard).ToList(), part);
        }
    }

    [StoreFact]
    public async Task ReadShardChanges_ShardTheCollectionDoesNotHave_YieldsNothing()
    {
        var collection = await NewShardedCollectionAsync();
        await WriteShardedAsync(collection, [TestData.Item("a", 1), TestData.Item("b", 2)], []);

        Assert.Empty(await ReadShardChangesAsync(collection, TestShards, 0));
        Assert.Empty(await ReadShardChangesAsync(collection, ShardAssignment.MaxShards + 100_000, 0));
    }

    [StoreFact]
    public async Task ReadShardChanges_UnknownCollectionOrNegativeShard_Throws()
    {
        var unknown = await Assert.ThrowsAsync<RetrievalException>(() => ReadShardChangesAsync(TestData.NewCollectionName(), 0, 0));
        Assert.Equal(ErrorKind.NotFound, unknown.Kind);

        var collection = await NewShardedCollectionAsync();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ReadShardChangesAsync(collection, -1, 0));
    }

    [StoreFact]
    public async Task Write_WithoutShards_RecordsShardZero()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1), TestData.Item("b", 2)]), Ct);
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForDeletes(["a"]), Ct);

        var changes = await ReadShardChangesAsync(collection.Name, 0, 0);

        Assert.Equal([("b", false, 0), ("a", true, 0)], changes.Select(c => (c.Id, c.IsDelete, c.Shard)));
    }

    [StoreFact]
    public async Task Write_ShardsNotMatchingTheIds_ThrowsAndWritesNothing()
    {
        var collection = await NewShardedCollectionAsync();
        var tooFew = WriteBatch.ForUpserts([TestData.Item("a", 1), TestData.Item("b", 2)]) with { Shards = new BatchShards([1], []) };
        var outOfRange = WriteBatch.ForDeletes(["a"]) with { Shards = new BatchShards([], [ShardAssignment.MaxShards]) };

        await Assert.ThrowsAsync<ArgumentException>(() => ItemStore.WriteAsync(collection, tooFew, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => ItemStore.WriteAsync(collection, outOfRange, Ct));

        Assert.Equal(0, await ItemStore.GetLastSequenceAsync(collection, Ct));
        Assert.Empty(await ReadAllChangesAsync(collection, 0));
    }

    [StoreFact]
    public async Task Import_KeepsEachChangesShard()
    {
        var source = await NewShardedCollectionAsync();
        await WriteShardedAsync(source, Enumerable.Range(0, 20).Select(i => TestData.Item($"t{i}", i)).ToList(), []);
        await WriteShardedAsync(source, [], ["t3", "t4"]);
        var rows = await Store.ExportCollectionAsync(source, async (r, ct) => (r.Definition, r.LastSequence, Changes: await ToListAsync(r.Changes, ct)), Ct);

        var copy = TestData.NewCollectionName();
        await Store.ImportCollectionAsync(
            new CollectionRows(
                rows.Definition with { Name = copy },
                rows.LastSequence,
                rows.Changes.ToAsyncEnumerable(),
                AsyncEnumerable.Empty<StoredRawInput>(),
                AsyncEnumerable.Empty<StoredMap>(),
                AsyncEnumerable.Empty<StoredMigration>(),
                AsyncEnumerable.Empty<MigrationEvent>(),
                AsyncEnumerable.Empty<MigrationDerivedItem>()),
            replace: false,
            Ct);

        for (var shard = 0; shard < TestShards; shard++)
        {
            TestData.AssertSameChanges(rows.Changes.Where(c => c.Shard == shard).ToList(), await ReadShardChangesAsync(copy, shard, 0));
        }
    }

    private async Task<string> NewShardedCollectionAsync()
    {
        var collection = TestData.Collection(TestData.NewCollectionName()) with { Shards = TestShards };
        await CatalogStore.CreateCollectionAsync(collection, Ct);
        return collection.Name;
    }

    /// <summary>Writes a batch with the shards the engine would give it.</summary>
    private Task<long> WriteShardedAsync(string collection, IReadOnlyList<ItemWrite> upserts, IReadOnlyList<string> deletes) =>
        ItemStore.WriteAsync(
            collection,
            new WriteBatch(upserts, deletes)
            {
                Shards = new BatchShards(
                    upserts.Select(u => ShardAssignment.ShardOf(u.Id, TestShards)).ToList(),
                    deletes.Select(d => ShardAssignment.ShardOf(d, TestShards)).ToList()),
            },
            Ct);

    private async Task<List<ItemChange>> ReadShardChangesAsync(string collection, int shard, long afterSequence)
    {
        var changes = new List<ItemChange>();
        await foreach (var change in ItemStore.ReadShardChangesAsync(collection, shard, afterSequence, Ct))
        {
            changes.Add(change);
        }

        return changes;
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source, CancellationToken cancellationToken)
    {
        var list = new List<T>();
        await foreach (var item in source.WithCancellation(cancellationToken))
        {
            list.Add(item);
        }

        return list;
    }
}
