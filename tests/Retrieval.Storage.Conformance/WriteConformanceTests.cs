using Retrieval.Core.Errors;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>The write path: sequences, atomicity, deletes, ids and batch sizes.</summary>
public abstract class WriteConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    [StoreFact]
    public async Task Write_SuccessiveBatches_ReturnsStrictlyIncreasingSequencesPerCollection()
    {
        var first = await NewCollectionAsync();
        var second = await NewCollectionAsync();

        var sequences = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            sequences.Add(await Store.WriteAsync(first.Name, WriteBatch.ForUpserts([TestData.Item($"i{i}", i)]), Ct));
        }

        sequences.Add(await Store.WriteAsync(first.Name, WriteBatch.ForDeletes(["no-such-item"]), Ct));
        var other = await Store.WriteAsync(second.Name, WriteBatch.ForUpserts([TestData.Item("x", 1)]), Ct);

        Assert.Equal([1, 2, 3, 4, 5, 6], sequences);
        Assert.Equal(6, await Store.GetLastSequenceAsync(first.Name, Ct));
        Assert.Equal(1, other);
    }

    [StoreFact]
    public async Task Write_UnknownCollection_ThrowsNotFoundAndCreatesNothing()
    {
        var unknown = TestData.NewCollectionName();

        var error = await Assert.ThrowsAsync<RetrievalException>(
            () => Store.WriteAsync(unknown, WriteBatch.ForUpserts([TestData.Item("a", 1)]), Ct));

        Assert.Equal(ErrorKind.NotFound, error.Kind);
        Assert.DoesNotContain(await Store.ListCollectionsAsync(Ct), c => c.Name == unknown);
    }

    [StoreFact]
    public async Task Write_BatchFailingMidway_ChangesNothing()
    {
        var collection = await NewCollectionAsync();
        await Store.WriteAsync(
            collection.Name, WriteBatch.ForUpserts([TestData.Item("kept", 1, "{\"v\":1}"), TestData.Item("gone", 2)]), Ct);

        // Both write paths: a small batch (parameters) and one large enough for bulk staging.
        foreach (var size in new[] { 10, 300 })
        {
            var items = Enumerable.Range(0, size)
                .Select(i => i == 0 ? TestData.Item("kept", 99, "{\"v\":2}") : TestData.Item($"new-{i}", i))
                .ToList();
            var batch = new WriteBatch(new FailingUpserts(items, failAt: size - 2), ["gone"]);

            await Assert.ThrowsAsync<InjectedFailureException>(() => Store.WriteAsync(collection.Name, batch, Ct));

            Assert.Equal(1, await Store.GetLastSequenceAsync(collection.Name, Ct));
            Assert.Equal(2, await Store.CountItemsAsync(collection.Name, Ct));
            Assert.NotNull(await GetItemAsync(collection.Name, "gone"));
            var kept = await GetItemAsync(collection.Name, "kept");
            Assert.Equal("{\"v\":1}", kept!.PayloadJson);
            TestData.AssertSameVectors(TestData.Item("kept", 1).Vectors, kept.Vectors);
        }

        // The store is still usable and the next batch takes the next sequence.
        Assert.Equal(2, await Store.WriteAsync(collection.Name, WriteBatch.ForDeletes(["gone"]), Ct));
    }

    [StoreFact]
    public async Task Write_Delete_RemovesItemAndItsVectors()
    {
        var collection = await NewCollectionAsync();
        await Store.WriteAsync(
            collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1, withOther: true), TestData.Item("b", 2)]), Ct);

        var sequence = await Store.WriteAsync(collection.Name, WriteBatch.ForDeletes(["a"]), Ct);

        Assert.Null(await GetItemAsync(collection.Name, "a"));
        Assert.Equal(1, await Store.CountItemsAsync(collection.Name, Ct));
        var changes = await ReadAllChangesAsync(collection.Name, 1);
        var delete = Assert.Single(changes);
        Assert.True(delete.IsDelete);
        Assert.Equal(("a", sequence), (delete.Id, delete.Sequence));

        // Re-creating the id with one space must not resurrect the deleted item's other vectors.
        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 5)]), Ct);
        Assert.Equal([TestData.Dense], (await GetItemAsync(collection.Name, "a"))!.Vectors.Keys);
    }

    [StoreFact]
    public async Task Write_DeleteOfUnknownId_SucceedsWithoutTombstone()
    {
        var collection = await NewCollectionAsync();

        var sequence = await Store.WriteAsync(collection.Name, WriteBatch.ForDeletes(["never-existed"]), Ct);

        Assert.Equal(1, sequence);
        Assert.Empty(await ReadAllChangesAsync(collection.Name, 0));
    }

    [StoreFact]
    public async Task Write_UpsertsAndDeletesInOneBatch_ShareOneSequence()
    {
        var collection = await NewCollectionAsync();
        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("old", 1)]), Ct);

        var sequence = await Store.WriteAsync(collection.Name, new WriteBatch([TestData.Item("new", 2)], ["old"]), Ct);

        var changes = await ReadAllChangesAsync(collection.Name, 0);
        Assert.Equal([("new", sequence, false), ("old", sequence, true)], changes.Select(c => (c.Id, c.Sequence, c.IsDelete)));
    }

    [StoreFact]
    public async Task Write_UnicodeIdsUpTo256Bytes_RoundTripInUtf8Order()
    {
        var collection = await NewCollectionAsync();
        string[] ids =
        [
            new string('é', 128),                                   // 256 bytes of 2-byte characters
            string.Concat(Enumerable.Repeat("😀", 64)),             // 256 bytes of surrogate pairs
            string.Concat(Enumerable.Repeat("日本語", 28)) + "ab",  // 254 bytes, mixed widths
            "\uFFFD",                                               // sorts before U+1F600 in UTF-16, after it in UTF-8
            "'; DROP TABLE items; --",
            "A", "a", "Z",
        ];

        var sequence = await Store.WriteAsync(
            collection.Name, WriteBatch.ForUpserts(ids.Select((id, i) => TestData.Item(id, i, $"{{\"i\":{i}}}")).ToList()), Ct);

        var stored = await Store.GetItemsAsync(collection.Name, ids, Ct);
        Assert.Equal(ids.Order(StringComparer.Ordinal), stored.Select(s => s.Id).Order(StringComparer.Ordinal));
        var changes = await ReadAllChangesAsync(collection.Name, 0);
        Assert.Equal(ids.Order(Comparer<string>.Create(TestData.CompareUtf8)), changes.Select(c => c.Id));
        Assert.All(changes, c => Assert.Equal(sequence, c.Sequence));
    }

    [StoreFact]
    public async Task Write_LargeBatch_RoundTripsEveryItem()
    {
        var collection = await NewCollectionAsync();
        var items = Enumerable.Range(0, 5000)
            .Select(i => TestData.Item($"item-{i:D5}", i, i % 2 == 0 ? $"{{\"n\":{i}}}" : null, withOther: i % 3 == 0))
            .ToList();

        var sequence = await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts(items), Ct);

        Assert.Equal(5000, await Store.CountItemsAsync(collection.Name, Ct));
        var changes = await ReadAllChangesAsync(collection.Name, 0);
        var expected = items
            .Select(w => new ItemChange(w.Id, sequence, new StoredItem(w.Id, w.PayloadJson ?? "{}", w.Vectors, sequence)))
            .ToList();
        TestData.AssertSameChanges(expected, changes);
    }

    [StoreFact]
    public async Task GetItems_UnknownIds_AreLeftOut()
    {
        var collection = await NewCollectionAsync();
        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1), TestData.Item("b", 2)]), Ct);

        var items = await Store.GetItemsAsync(collection.Name, ["missing", "b", "also-missing"], Ct);

        Assert.Equal("b", Assert.Single(items).Id);
        Assert.Empty(await Store.GetItemsAsync(collection.Name, [], Ct));
    }

    [StoreFact]
    public async Task CountItems_AfterUpsertsAndDeletes_CountsLiveItems()
    {
        var collection = await NewCollectionAsync();
        await Store.WriteAsync(
            collection.Name, WriteBatch.ForUpserts(Enumerable.Range(0, 10).Select(i => TestData.Item($"i{i}", i)).ToList()), Ct);
        await Store.WriteAsync(collection.Name, new WriteBatch([TestData.Item("i0", 50)], ["i1", "i2", "unknown"]), Ct);

        Assert.Equal(8, await Store.CountItemsAsync(collection.Name, Ct));
    }
}
