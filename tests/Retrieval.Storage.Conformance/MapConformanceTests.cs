using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>The compatibility-map registry: save, read back, state changes with one active map per pair, delete with the collection.</summary>
public abstract class MapConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    [StoreFact]
    public async Task SaveMap_ThenGetAndList_ReadsBackEveryField()
    {
        var collection = await NewCollectionAsync();
        var map = Map(collection.Name, "m1", TestData.CreatedAt);

        await Store.SaveMapAsync(map, Ct);
        await ReopenAsync();

        var read = await Store.GetMapAsync(collection.Name, "m1", Ct);
        Assert.NotNull(read);
        AssertSame(map, read);
        AssertSame(map, Assert.Single(await Store.ListMapsAsync(collection.Name, Ct)));
        Assert.Null(await Store.GetMapAsync(collection.Name, "missing", Ct));
    }

    [StoreFact]
    public async Task SaveMap_DuplicateIdOrUnknownCollection_IsRefused()
    {
        var collection = await NewCollectionAsync();
        await Store.SaveMapAsync(Map(collection.Name, "m1", TestData.CreatedAt), Ct);

        var duplicate = await Assert.ThrowsAsync<RetrievalException>(() => Store.SaveMapAsync(Map(collection.Name, "m1", TestData.CreatedAt), Ct));
        var unknown = await Assert.ThrowsAsync<RetrievalException>(() => Store.SaveMapAsync(Map("no-such-collection", "m1", TestData.CreatedAt), Ct));

        Assert.Equal(ErrorKind.AlreadyExists, duplicate.Kind);
        Assert.Equal(ErrorKind.NotFound, unknown.Kind);
    }

    [StoreFact]
    public async Task SetMapState_ActivateSecondOfPair_RetiresFirstAndKeepsOtherPairs()
    {
        var collection = await NewCollectionAsync();
        await Store.SaveMapAsync(Map(collection.Name, "a", TestData.CreatedAt), Ct);
        await Store.SaveMapAsync(Map(collection.Name, "b", TestData.CreatedAt.AddSeconds(1)), Ct);
        await Store.SaveMapAsync(Map(collection.Name, "c", TestData.CreatedAt.AddSeconds(2)) with { FromSpace = TestData.Dense, ToSpace = TestData.Sparse }, Ct);
        var later = TestData.CreatedAt.AddMinutes(1);

        Assert.True(await Store.SetMapStateAsync(collection.Name, "a", MapState.Active, later, Ct));
        Assert.True(await Store.SetMapStateAsync(collection.Name, "c", MapState.Active, later, Ct));
        Assert.True(await Store.SetMapStateAsync(collection.Name, "b", MapState.Active, later, Ct));
        Assert.False(await Store.SetMapStateAsync(collection.Name, "missing", MapState.Active, later, Ct));

        var states = (await Store.ListMapsAsync(collection.Name, Ct)).Select(m => (m.Id, m.State)).ToList();
        Assert.Equal([("a", MapState.Retired), ("b", MapState.Active), ("c", MapState.Active)], states);
        Assert.Equal(later, (await Store.GetMapAsync(collection.Name, "a", Ct))!.UpdatedAt);
    }

    [StoreFact]
    public async Task DeleteCollection_WithMaps_DeletesTheMaps()
    {
        var collection = await NewCollectionAsync();
        await Store.SaveMapAsync(Map(collection.Name, "m1", TestData.CreatedAt), Ct);

        await Store.DeleteCollectionAsync(collection.Name, Ct);
        await Store.CreateCollectionAsync(collection, Ct);

        Assert.Empty(await Store.ListMapsAsync(collection.Name, Ct));
    }

    private static StoredMap Map(string collection, string id, DateTimeOffset at) => new(
        id, collection, TestData.Sparse, TestData.Dense, MapKind.CanonicalQ, MapState.Draft,
        [1, 2, 3, 0, 255, (byte)id[0]], """{"kind":"canonical_q","fitAnchors":10}""", at, at);

    private static void AssertSame(StoredMap expected, StoredMap actual)
    {
        Assert.Equal(expected with { Data = [] }, actual with { Data = [] });
        Assert.Equal(expected.Data, actual.Data);
    }
}
