using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// Base of every conformance suite (one per store role: catalog, items, raw inputs, maps, migrations): opens a store from the class fixture before each test and closes it
/// after. Tests share the fixture's database, so each one works in collections of its own (<see cref="NewCollectionAsync"/>).
/// </summary>
public abstract class StoreTestBase<TFixture>(TFixture fixture) : IClassFixture<TFixture>, IAsyncLifetime
    where TFixture : class, IStoreFixture
{
    /// <summary>Upper bound for one test, so that a deadlocked store fails the test instead of hanging the run.</summary>
    private readonly CancellationTokenSource timeout = new(TimeSpan.FromSeconds(60));
    private IRetrievalStore? store;

    protected TFixture Fixture { get; } = fixture;

    protected IRetrievalStore Store => store ?? throw new InvalidOperationException("the store is not open");

    // The store through each of its roles: a suite calls the role it covers, so that it checks that role's contract.
    protected ICatalogStore CatalogStore => Store;

    protected IItemStore ItemStore => Store;

    protected IRawInputStore RawInputStore => Store;

    protected IMapStore MapStore => Store;

    protected IMigrationStore MigrationStore => Store;

    protected CancellationToken Ct => timeout.Token;

    public async Task InitializeAsync() => store = await Fixture.OpenStoreAsync(Ct);

    public async Task DisposeAsync()
    {
        if (store is not null)
        {
            await store.DisposeAsync();
        }

        timeout.Dispose();
    }

    /// <summary>Closes the store and opens a new one over the same data, as a server restart does.</summary>
    protected async Task ReopenAsync()
    {
        var old = store;
        store = null;
        if (old is not null)
        {
            await old.DisposeAsync();
        }

        store = await Fixture.OpenStoreAsync(Ct);
    }

    /// <summary>Creates a collection with a fresh name and the spaces of <see cref="TestData.Collection"/>.</summary>
    protected async Task<CollectionDefinition> NewCollectionAsync()
    {
        var collection = TestData.Collection(TestData.NewCollectionName());
        await CatalogStore.CreateCollectionAsync(collection, Ct);
        return collection;
    }

    protected async Task<List<ItemChange>> ReadAllChangesAsync(string collection, long afterSequence)
    {
        var changes = new List<ItemChange>();
        await foreach (var change in ItemStore.ReadChangesAsync(collection, afterSequence, Ct))
        {
            changes.Add(change);
        }

        return changes;
    }

    protected async Task<StoredItem?> GetItemAsync(string collection, string id) =>
        (await ItemStore.GetItemsAsync(collection, [id], Ct)).SingleOrDefault();
}
