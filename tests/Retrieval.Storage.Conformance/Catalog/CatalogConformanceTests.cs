using Retrieval.Core.Errors;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>The catalog role (<see cref="ICatalogStore"/>): create, list, update, delete and their errors.</summary>
public abstract class CatalogConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    [StoreFact]
    public async Task CreateCollection_NewName_IsListedWithItsDefinition()
    {
        var collection = await NewCollectionAsync();

        var listed = (await CatalogStore.ListCollectionsAsync(Ct)).Single(c => c.Name == collection.Name);

        TestData.AssertSameDefinition(collection, listed);
        Assert.Equal(0, await ItemStore.GetLastSequenceAsync(collection.Name, Ct));
        Assert.Equal(0, await ItemStore.CountItemsAsync(collection.Name, Ct));
    }

    [StoreFact]
    public async Task Ping_OpenStore_Answers()
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(10));

        await Store.PingAsync(bounded.Token);
    }

    [StoreFact]
    public async Task ListCollections_SeveralCollections_OrderedByName()
    {
        await NewCollectionAsync();
        await NewCollectionAsync();

        var names = (await CatalogStore.ListCollectionsAsync(Ct)).Select(c => c.Name).ToList();

        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [StoreFact]
    public async Task CreateCollection_ExistingName_ThrowsAlreadyExists()
    {
        var collection = await NewCollectionAsync();

        var error = await Assert.ThrowsAsync<RetrievalException>(() => CatalogStore.CreateCollectionAsync(collection, Ct));

        Assert.Equal(ErrorKind.AlreadyExists, error.Kind);
    }

    [StoreFact]
    public async Task UpdateCollection_NewDefinition_PersistsItAndKeepsCreatedAt()
    {
        var collection = await NewCollectionAsync();
        var updated = collection with
        {
            Spaces = [collection.Spaces[1]],
            DefaultSpace = collection.Spaces[1].Name,
            Version = collection.Version + 1,
            CreatedAt = collection.CreatedAt.AddDays(5),
            UpdatedAt = collection.UpdatedAt.AddHours(1),
        };

        await CatalogStore.UpdateCollectionAsync(updated, removedSpace: null, Ct);

        var listed = (await CatalogStore.ListCollectionsAsync(Ct)).Single(c => c.Name == collection.Name);
        TestData.AssertSameDefinition(updated with { CreatedAt = collection.CreatedAt }, listed);
    }

    [StoreFact]
    public async Task UpdateCollection_NotTheNextVersion_ThrowsAbortedAndChangesNothing()
    {
        var collection = await NewCollectionAsync();
        await CatalogStore.UpdateCollectionAsync(collection with { DefaultSpace = TestData.Sparse, Version = 1 }, null, Ct);

        // Another writer prepared its change from version 0 too: the store holds version 1 now.
        var stale = await Assert.ThrowsAsync<RetrievalException>(() =>
            CatalogStore.UpdateCollectionAsync(collection with { Spaces = [collection.Spaces[0]], Version = 1 }, TestData.Sparse, Ct));
        var skipped = await Assert.ThrowsAsync<RetrievalException>(() =>
            CatalogStore.UpdateCollectionAsync(collection with { Version = 3 }, null, Ct));

        Assert.Equal(ErrorKind.Aborted, stale.Kind);
        Assert.Equal(ErrorKind.Aborted, skipped.Kind);
        var listed = (await CatalogStore.ListCollectionsAsync(Ct)).Single(c => c.Name == collection.Name);
        Assert.Equal(1, listed.Version);
        Assert.Equal(TestData.Sparse, listed.DefaultSpace);
        Assert.Equal(collection.Spaces, listed.Spaces);
    }

    [StoreFact]
    public async Task UpdateCollection_UnknownName_ThrowsNotFound()
    {
        var unknown = TestData.Collection(TestData.NewCollectionName()) with { Version = 1 };

        var error = await Assert.ThrowsAsync<RetrievalException>(() => CatalogStore.UpdateCollectionAsync(unknown, null, Ct));

        Assert.Equal(ErrorKind.NotFound, error.Kind);
    }

    [StoreFact]
    public async Task UpdateCollection_RemovedSpace_DeletesOnlyThatSpacesVectors()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(
            collection.Name,
            WriteBatchOf(TestData.Item("a", 1, withOther: true), TestData.Item("b", 2, withOther: true)),
            Ct);

        await CatalogStore.UpdateCollectionAsync(collection with { Spaces = [collection.Spaces[0]], Version = 1 }, TestData.Sparse, Ct);

        var items = await ItemStore.GetItemsAsync(collection.Name, ["a", "b"], Ct);
        Assert.Equal(2, items.Count);
        Assert.All(items, item => Assert.Equal([TestData.Dense], item.Vectors.Keys));
        var changes = await ReadAllChangesAsync(collection.Name, 0);
        Assert.All(changes, change => Assert.Equal([TestData.Dense], change.Item!.Vectors.Keys));
    }

    [StoreFact]
    public async Task DeleteCollection_Existing_RemovesItWithEverythingInIt()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatchOf(TestData.Item("a", 1), TestData.Item("b", 2)), Ct);
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForDeletes(["a"]), Ct);

        Assert.True(await CatalogStore.DeleteCollectionAsync(collection.Name, Ct));

        Assert.DoesNotContain(await CatalogStore.ListCollectionsAsync(Ct), c => c.Name == collection.Name);
        await CatalogStore.CreateCollectionAsync(collection, Ct);
        Assert.Equal(0, await ItemStore.CountItemsAsync(collection.Name, Ct));
        Assert.Equal(0, await ItemStore.GetLastSequenceAsync(collection.Name, Ct));
        Assert.Empty(await ReadAllChangesAsync(collection.Name, 0));
        Assert.Empty(await ItemStore.GetItemsAsync(collection.Name, ["a", "b"], Ct));
    }

    [StoreFact]
    public async Task DeleteCollection_UnknownName_ReturnsFalse()
    {
        Assert.False(await CatalogStore.DeleteCollectionAsync(TestData.NewCollectionName(), Ct));
    }

    [StoreFact]
    public async Task CollectionOperations_UnknownCollection_ThrowNotFound()
    {
        var unknown = TestData.NewCollectionName();

        await AssertNotFoundAsync(() => ItemStore.WriteAsync(unknown, WriteBatchOf(TestData.Item("a", 1)), Ct));
        await AssertNotFoundAsync(() => ItemStore.GetItemsAsync(unknown, ["a"], Ct));
        await AssertNotFoundAsync(() => ItemStore.CountItemsAsync(unknown, Ct));
        await AssertNotFoundAsync(() => ItemStore.GetLastSequenceAsync(unknown, Ct));
        await AssertNotFoundAsync(() => ReadAllChangesAsync(unknown, 0));
    }

    private static WriteBatch WriteBatchOf(params ItemWrite[] items) =>
        WriteBatch.ForUpserts(items);

    private static async Task AssertNotFoundAsync(Func<Task> action)
    {
        var error = await Assert.ThrowsAsync<RetrievalException>(action);
        Assert.Equal(ErrorKind.NotFound, error.Kind);
    }
}
