using Retrieval.Core.Errors;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// Group commit: several batches in one transaction, each under its own consecutive sequence, committed whole or not
/// at all.
/// </summary>
public abstract partial class ItemConformanceTests<TFixture>
    where TFixture : class, IStoreFixture
{
    [StoreFact]
    public async Task WriteGroupAsync_GivesEachBatchItsOwnConsecutiveSequence()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1), TestData.Item("b", 2)]), Ct);

        var sequences = await ItemStore.WriteGroupAsync(
            collection.Name,
            [
                WriteBatch.ForUpserts([TestData.Item("c", 3), TestData.Item("a", 4, "{\"v\":2}")]),
                WriteBatch.ForDeletes(["b", "unknown"]),
                WriteBatch.ForUpserts([TestData.Item("a", 5, "{\"v\":3}")]),
            ],
            Ct);

        Assert.Equal([2L, 3L, 4L], sequences);
        Assert.Equal(4, await ItemStore.GetLastSequenceAsync(collection.Name, Ct));
        var changes = await ReadAllChangesAsync(collection.Name, 0);
        Assert.Equal([("c", 2L, false), ("b", 3L, true), ("a", 4L, false)], changes.Select(c => (c.Id, c.Sequence, c.IsDelete)));
        Assert.Equal("{\"v\":3}", changes[^1].Item!.PayloadJson);
        TestData.AssertSameVectors(TestData.Item("a", 5).Vectors, changes[^1].Item!.Vectors);
    }

    [StoreFact]
    public async Task WriteGroupAsync_OneBatchFailsMidWay_WritesNothingOfAny()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("kept", 1, "{\"v\":1}")]), Ct);
        var failing = new WriteBatch(new FailingUpserts([TestData.Item("x", 7), TestData.Item("y", 8)], failAt: 1), []);

        await Assert.ThrowsAsync<InjectedFailureException>(() => ItemStore.WriteGroupAsync(
            collection.Name, [WriteBatch.ForUpserts([TestData.Item("kept", 2, "{\"v\":2}")]), failing, WriteBatch.ForDeletes(["kept"])], Ct));

        Assert.Equal(1, await ItemStore.GetLastSequenceAsync(collection.Name, Ct));
        var kept = Assert.Single(await ReadAllChangesAsync(collection.Name, 0));
        Assert.Equal(("kept", "{\"v\":1}"), (kept.Id, kept.Item!.PayloadJson));
        Assert.Equal([2L, 3L], await ItemStore.WriteGroupAsync(
            collection.Name, [WriteBatch.ForUpserts([TestData.Item("x", 7)]), WriteBatch.ForUpserts([TestData.Item("y", 8)])], Ct));
    }

    [StoreFact]
    public async Task WriteGroupAsync_OneStaleGuard_ThrowsAbortedAndWritesNothingOfAny()
    {
        var collection = await NewCollectionAsync();
        await CatalogStore.UpdateCollectionAsync(collection with { Version = 1 }, null, Ct);
        var current = new WriteGuard(1, null, null);

        var error = await Assert.ThrowsAsync<RetrievalException>(() => ItemStore.WriteGroupAsync(
            collection.Name,
            [
                WriteBatch.ForUpserts([TestData.Item("a", 1)]) with { Guard = current },
                WriteBatch.ForUpserts([TestData.Item("b", 2)]) with { Guard = new WriteGuard(0, null, null) },
            ],
            Ct));

        Assert.Equal(ErrorKind.Aborted, error.Kind);
        Assert.Equal(0, await ItemStore.GetLastSequenceAsync(collection.Name, Ct));
        Assert.Empty(await ReadAllChangesAsync(collection.Name, 0));
    }

    [StoreFact]
    public async Task WriteGroupAsync_UnknownCollection_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<RetrievalException>(() => ItemStore.WriteGroupAsync(
            TestData.NewCollectionName(), [WriteBatch.ForUpserts([TestData.Item("a", 1)]), WriteBatch.ForDeletes(["a"])], Ct));

        Assert.Equal(ErrorKind.NotFound, error.Kind);
    }
}
