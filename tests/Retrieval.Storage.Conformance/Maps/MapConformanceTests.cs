using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// The map role (<see cref="IMapStore"/>): save, read back, state changes with one active map per pair, delete with the
/// collection.
/// </summary>
public abstract class MapConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    [StoreFact]
    public async Task SaveMap_ThenGetAndList_ReadsBackEveryField()
    {
        var collection = await NewCollectionAsync();
        var map = Map(collection.Name, "m1", TestData.CreatedAt);

        await MapStore.SaveMapAsync(map, Ct);
        await ReopenAsync();

        var read = await MapStore.GetMapAsync(collection.Name, "m1", Ct);
        Assert.NotNull(read);
        AssertSame(map, read);
        AssertSame(map, Assert.Single(await MapStore.ListMapsAsync(collection.Name, Ct)));
        Assert.Null(await MapStore.GetMapAsync(collection.Name, "missing", Ct));
    }

    [StoreFact]
    public async Task SaveMap_DuplicateIdOrUnknownCollection_IsRefused()
    {
        var collection = await NewCollectionAsync();
        await MapStore.SaveMapAsync(Map(collection.Name, "m1", TestData.CreatedAt), Ct);

        var duplicate = await Assert.ThrowsAsync<RetrievalException>(() => MapStore.SaveMapAsync(Map(collection.Name, "m1", TestData.CreatedAt), Ct));
        var unknown = await Assert.ThrowsAsync<RetrievalException>(() => MapStore.SaveMapAsync(Map("no-such-collection", "m1", TestData.CreatedAt), Ct));

        Assert.Equal(ErrorKind.AlreadyExists, duplicate.Kind);
        Assert.Equal(ErrorKind.NotFound, unknown.Kind);
    }

    [StoreFact]
    public async Task SetMapState_ActivateSecondOfPair_RetiresFirstAndKeepsOtherPairs()
    {
        var collection = await NewCollectionAsync();
        await MapStore.SaveMapAsync(Map(collection.Name, "a", TestData.CreatedAt), Ct);
        await MapStore.SaveMapAsync(Map(collection.Name, "b", TestData.CreatedAt.AddSeconds(1)), Ct);
        await MapStore.SaveMapAsync(Map(collection.Name, "c", TestData.CreatedAt.AddSeconds(2)) with { FromSpace = TestData.Dense, ToSpace = TestData.Sparse }, Ct);
        var later = TestData.CreatedAt.AddMinutes(1);

        Assert.True(await MapStore.SetMapStateAsync(collection.Name, "a", MapState.Active, later, Ct));
        Assert.True(await MapStore.SetMapStateAsync(collection.Name, "c", MapState.Active, later, Ct));
        Assert.True(await MapStore.SetMapStateAsync(collection.Name, "b", MapState.Active, later, Ct));
        Assert.False(await MapStore.SetMapStateAsync(collection.Name, "missing", MapState.Active, later, Ct));

        var states = (await MapStore.ListMapsAsync(collection.Name, Ct)).Select(m => (m.Id, m.State)).ToList();
        Assert.Equal([("a", MapState.Retired), ("b", MapState.Active), ("c", MapState.Active)], states);
        Assert.Equal(later, (await MapStore.GetMapAsync(collection.Name, "a", Ct))!.UpdatedAt);
    }

    [StoreFact]
    public async Task SetMapReport_ReplacesTheReportOnly()
    {
        var collection = await NewCollectionAsync();
        var saved = Map(collection.Name, "r", TestData.CreatedAt);
        await MapStore.SaveMapAsync(saved, Ct);
        var later = TestData.CreatedAt.AddMinutes(2);

        Assert.True(await MapStore.SetMapReportAsync(collection.Name, "r", """{"gate":"passed"}""", later, Ct));
        Assert.False(await MapStore.SetMapReportAsync(collection.Name, "missing", "{}", later, Ct));

        var stored = (await MapStore.GetMapAsync(collection.Name, "r", Ct))!;
        Assert.Equal(("""{"gate":"passed"}""", later, saved.State), (stored.ReportJson, stored.UpdatedAt, stored.State));
        Assert.Equal(saved.Data, stored.Data);
    }

    [StoreFact]
    public async Task DeleteCollection_WithMaps_DeletesTheMaps()
    {
        var collection = await NewCollectionAsync();
        await MapStore.SaveMapAsync(Map(collection.Name, "m1", TestData.CreatedAt), Ct);

        await CatalogStore.DeleteCollectionAsync(collection.Name, Ct);
        await CatalogStore.CreateCollectionAsync(collection, Ct);

        Assert.Empty(await MapStore.ListMapsAsync(collection.Name, Ct));
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
