using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

public abstract partial class ItemConformanceTests<TFixture>
    where TFixture : class, IStoreFixture
{
    // ReadChangesAsync: order, filtering by sequence, deletes and paging.

    [StoreFact]
    public async Task ReadChanges_FromZero_YieldsCurrentStateInSequenceThenIdOrder()
    {
        var collection = await NewCollectionAsync();
        var first = await ItemStore.WriteAsync(
            collection.Name, WriteBatch.ForUpserts([TestData.Item("c", 1), TestData.Item("a", 2), TestData.Item("b", 3)]), Ct);
        var second = await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 4, "{\"v\":2}")]), Ct);

        var changes = await ReadAllChangesAsync(collection.Name, 0);

        Assert.Equal([("b", first), ("c", first), ("a", second)], changes.Select(c => (c.Id, c.Sequence)));
        var a = changes[^1].Item!;
        Assert.Equal("{\"v\":2}", a.PayloadJson);
        TestData.AssertSameVectors(TestData.Item("a", 4).Vectors, a.Vectors);
    }

    [StoreFact]
    public async Task ReadChanges_AfterSequence_YieldsOnlyLaterChanges()
    {
        var collection = await NewCollectionAsync();
        var first = await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1), TestData.Item("b", 2)]), Ct);
        var second = await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("c", 3)]), Ct);

        Assert.Equal(["c"], (await ReadAllChangesAsync(collection.Name, first)).Select(c => c.Id));
        Assert.Empty(await ReadAllChangesAsync(collection.Name, second));
    }

    [StoreFact]
    public async Task ReadChanges_DeletedItem_YieldsDeleteOnlyAfterEarlierSequences()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1), TestData.Item("b", 2)]), Ct);
        var deleted = await ItemStore.WriteAsync(collection.Name, WriteBatch.ForDeletes(["a"]), Ct);

        var fromZero = await ReadAllChangesAsync(collection.Name, 0);
        var afterDelete = await ReadAllChangesAsync(collection.Name, deleted);

        Assert.Equal([("b", false), ("a", true)], fromZero.Select(c => (c.Id, c.IsDelete)));
        Assert.Equal(deleted, fromZero[1].Sequence);
        Assert.Empty(afterDelete);
    }

    [StoreFact]
    public async Task ReadChanges_DeletedThenRecreated_YieldsOnlyTheLiveItem()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1)]), Ct);
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForDeletes(["a"]), Ct);

        var recreated = await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 2)]), Ct);

        var change = Assert.Single(await ReadAllChangesAsync(collection.Name, 0));
        Assert.Equal(("a", recreated, false), (change.Id, change.Sequence, change.IsDelete));
        Assert.Equal("{}", change.Item!.PayloadJson);
    }

    [StoreFact]
    public async Task ReadChanges_MoreChangesThanOnePage_StreamsAllInOrder()
    {
        var collection = await NewCollectionAsync();
        for (var batch = 0; batch < 3; batch++)
        {
            var items = Enumerable.Range(0, 900).Select(i => TestData.Item($"b{batch}-{i:D4}", i)).ToList();
            var deletes = batch == 0 ? Array.Empty<string>() : Enumerable.Range(0, 300).Select(i => $"b{batch - 1}-{i * 3:D4}").ToArray();
            await ItemStore.WriteAsync(collection.Name, new WriteBatch(items, deletes), Ct);
        }

        var changes = await ReadAllChangesAsync(collection.Name, 0);

        Assert.Equal(2100 + 600, changes.Count);
        Assert.Equal(600, changes.Count(c => c.IsDelete));
        TestData.AssertFeedOrder(changes);
        Assert.Equal(2100, await ItemStore.CountItemsAsync(collection.Name, Ct));
    }

    [StoreFact]
    public async Task ReadChanges_AbandonedEnumeration_DoesNotBlockWriters()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1), TestData.Item("b", 2)]), Ct);

        await foreach (var change in ItemStore.ReadChangesAsync(collection.Name, 0, Ct))
        {
            Assert.Equal("a", change.Id);
            break;
        }

        Assert.Equal(2, await ItemStore.WriteAsync(collection.Name, WriteBatch.ForDeletes(["a"]), Ct));
    }

    [StoreFact]
    public async Task ReadChanges_WhileWriting_SeesOneConsistentSnapshot()
    {
        var collection = await NewCollectionAsync();
        var items = Enumerable.Range(0, 2500).Select(i => TestData.Item($"i{i:D4}", i)).ToList();
        var before = await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts(items), Ct);

        var seen = new List<ItemChange>();
        await foreach (var change in ItemStore.ReadChangesAsync(collection.Name, 0, Ct))
        {
            if (seen.Count == 10)
            {
                // Moves an item that the reader has not reached yet to a later sequence, and deletes another.
                await ItemStore.WriteAsync(collection.Name, new WriteBatch([TestData.Item("i2000", 5)], ["i2400"]), Ct);
            }

            seen.Add(change);
        }

        Assert.Equal(2500, seen.Count);
        Assert.All(seen, c => Assert.Equal((before, false), (c.Sequence, c.IsDelete)));
    }

    // What a store acknowledged is there after it is closed and opened again, bit for bit.

    [StoreFact]
    public async Task Reopen_AfterAcknowledgedWrites_KeepsEverythingBitIdentical()
    {
        var collection = await NewCollectionAsync();
        var updated = collection with { DefaultSpace = TestData.Sparse, UpdatedAt = collection.UpdatedAt.AddMinutes(3), Version = 1 };
        await CatalogStore.UpdateCollectionAsync(updated, null, Ct);

        // Values a lossy encoding would change: NaN payload bits, negative zero, subnormals, infinities.
        float[] special =
        [
            BitConverter.Int32BitsToSingle(0x7FC0_1234), -0f, float.Epsilon, float.MaxValue,
            float.NegativeInfinity, float.PositiveInfinity, BitConverter.Int32BitsToSingle(unchecked((int)0xFFFF_FFFF)), 1e-40f,
        ];
        await ItemStore.WriteAsync(
            collection.Name,
            WriteBatch.ForUpserts(
            [
                TestData.Item("special", "{\"ü\":\"ß\"}", (TestData.Dense, special)),
                .. Enumerable.Range(0, 200).Select(i => TestData.Item($"i{i}", i, i % 2 == 0 ? "{\"even\":true}" : null, withOther: i % 5 == 0)),
            ]),
            Ct);
        await ItemStore.WriteAsync(collection.Name, new WriteBatch([TestData.Item("i1", 1000)], ["i2", "i3"]), Ct);
        var lastSequence = await ItemStore.WriteAsync(collection.Name, WriteBatch.ForDeletes(["i4"]), Ct);
        var before = await ReadAllChangesAsync(collection.Name, 0);

        await ReopenAsync();

        TestData.AssertSameDefinition(updated, (await CatalogStore.ListCollectionsAsync(Ct)).Single(c => c.Name == collection.Name));
        Assert.Equal(lastSequence, await ItemStore.GetLastSequenceAsync(collection.Name, Ct));
        Assert.Equal(198, await ItemStore.CountItemsAsync(collection.Name, Ct));
        var after = await ReadAllChangesAsync(collection.Name, 0);
        TestData.AssertSameChanges(before, after);
        TestData.AssertSameVectors(
            new Dictionary<string, float[]> { [TestData.Dense] = special },
            after.Single(c => c.Id == "special").Item!.Vectors);
        Assert.Equal(lastSequence + 1, await ItemStore.WriteAsync(collection.Name, WriteBatch.ForDeletes(["i5"]), Ct));
    }
}
