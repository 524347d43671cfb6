using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Migrations;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// Online refit's store side (issue 18): a batch's anchor statistics and reservoir slots commit with the batch and only
/// with it, read back after a reopen; a promoted map is stored active with the migration row that names it, retiring the
/// pair's previous active map, in one transaction; everything goes with the collection.
/// </summary>
public abstract class MigrationStatisticsConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    [StoreFact]
    public async Task WriteAsync_MarksWithStatistics_StoresThemWithTheBatchAndUpsertsReservoirSlots()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name), "planned", Ct);
        Assert.Null(await MigrationStore.GetMigrationStatisticsAsync(collection.Name, "m1", Ct));

        await ItemStore.WriteAsync(collection.Name, Batch(new MigrationStatisticsWrite([1, 2, 3], 4, 10, [new(0, "a"), new(1, "b")])), Ct);
        await ItemStore.WriteAsync(collection.Name, Batch(new MigrationStatisticsWrite([9, 8], 6, 10, [new(1, "c"), new(2, "d")])), Ct);
        await ReopenAsync();

        var stored = await MigrationStore.GetMigrationStatisticsAsync(collection.Name, "m1", Ct);
        Assert.NotNull(stored);
        Assert.Equal([9, 8], stored.Data);
        Assert.Equal((6L, 10L), (stored.HeldOutPairs, stored.SeedPairs));
        Assert.Equal([new MigrationReservoirSlot(0, "a"), new(1, "c"), new(2, "d")], stored.Reservoir);
    }

    [StoreFact]
    public async Task WriteAsync_MarksNamingAnotherPhase_StoresNoStatistics()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name), "planned", Ct);

        await Assert.ThrowsAsync<RetrievalException>(
            () => ItemStore.WriteAsync(collection.Name, Batch(new MigrationStatisticsWrite([1], 0, 0, [new(0, "a")]), MigrationPhase.Active), Ct));

        Assert.Null(await MigrationStore.GetMigrationStatisticsAsync(collection.Name, "m1", Ct));
    }

    [StoreFact]
    public async Task UpdateMigration_PromotedMap_IsStoredActiveAndRetiresThePreviousOneWithTheRow()
    {
        var collection = await NewCollectionAsync();
        var at = TestData.CreatedAt.AddMinutes(3);
        await MapStore.SaveMapAsync(Map(collection.Name, "map-a", MapState.Active, TestData.CreatedAt), Ct);
        var migration = Migration(collection.Name) with { MapId = "map-a" };
        await MigrationStore.CreateMigrationAsync(migration, "planned", Ct);

        var promoted = migration with { MapId = "map-a-v2", CalibrationJson = "{\"refit\":{}}", UpdatedAt = at, ChangedBy = "refit" };
        Assert.True(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(promoted, MigrationPhase.Backfilling, "promoted") { PromotedMap = Map(collection.Name, "map-a-v2", MapState.Active, at), ExpectedMapId = "map-a" }, Ct));
        await ReopenAsync();

        var maps = await MapStore.ListMapsAsync(collection.Name, Ct);
        Assert.Equal(MapState.Retired, maps.Single(m => m.Id == "map-a").State);
        Assert.Equal(MapState.Active, maps.Single(m => m.Id == "map-a-v2").State);
        Assert.Equal("map-a-v2", (await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct))!.MapId);
        // No phase change, no audit event beyond the plan's.
        Assert.Single(await MigrationStore.ListMigrationEventsAsync(collection.Name, "m1", Ct));
    }

    [StoreFact]
    public async Task UpdateMigration_PromotionRacingAnotherNodesPromotion_IsRefusedAndLeavesTheWinnerActive()
    {
        var collection = await NewCollectionAsync();
        await MapStore.SaveMapAsync(Map(collection.Name, "map-a", MapState.Active, TestData.CreatedAt), Ct);
        var migration = Migration(collection.Name) with { MapId = "map-a" };
        await MigrationStore.CreateMigrationAsync(migration, "planned", Ct);
        var at = TestData.CreatedAt.AddMinutes(3);

        // Both nodes read map-a serving and compute the same next version; the first promotion wins.
        var first = migration with { MapId = "map-a-v2", UpdatedAt = at, ChangedBy = "node-a" };
        Assert.True(await MigrationStore.UpdateMigrationAsync(
            new MigrationUpdate(first, MigrationPhase.Backfilling, "promoted") { PromotedMap = Map(collection.Name, "map-a-v2", MapState.Active, at), ExpectedMapId = "map-a" }, Ct));
        var second = migration with { MapId = "map-a-v2", UpdatedAt = at.AddSeconds(1), ChangedBy = "node-b" };
        Assert.False(await MigrationStore.UpdateMigrationAsync(
            new MigrationUpdate(second, MigrationPhase.Backfilling, "promoted") { PromotedMap = Map(collection.Name, "map-a-v2", MapState.Active, at.AddSeconds(1)), ExpectedMapId = "map-a" }, Ct));
        await ReopenAsync();

        var maps = await MapStore.ListMapsAsync(collection.Name, Ct);
        Assert.Equal(MapState.Retired, maps.Single(m => m.Id == "map-a").State);
        Assert.Equal(MapState.Active, maps.Single(m => m.Id == "map-a-v2").State);
        var stored = (await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct))!;
        Assert.Equal(("map-a-v2", "node-a"), (stored.MapId, stored.ChangedBy));
    }

    [StoreFact]
    public async Task UpdateMigration_StalePhase_StoresNoPromotedMap()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name), "planned", Ct);

        var promoted = Migration(collection.Name) with { MapId = "map-b-v2" };
        Assert.False(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(promoted, MigrationPhase.Paused, "promoted") { PromotedMap = Map(collection.Name, "map-b-v2", MapState.Active, TestData.CreatedAt) }, Ct));

        Assert.Empty(await MapStore.ListMapsAsync(collection.Name, Ct));
    }

    [StoreFact]
    public async Task DeleteCollection_WithStatistics_DeletesThem()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name), "planned", Ct);
        await ItemStore.WriteAsync(collection.Name, Batch(new MigrationStatisticsWrite([1], 0, 0, [new(0, "a")])), Ct);

        await CatalogStore.DeleteCollectionAsync(collection.Name, Ct);
        await CatalogStore.CreateCollectionAsync(collection, Ct);

        Assert.Null(await MigrationStore.GetMigrationStatisticsAsync(collection.Name, "m1", Ct));
    }

    private static StoredMigration Migration(string collection) => new(
        "m1", collection, TestData.Sparse, TestData.Dense, null, MigrationPhase.Backfilling, """{"mapKind":"orthogonal"}""",
        null, null, null, null, null, 0, 0, 0, null, TestData.CreatedAt, TestData.CreatedAt, "test");

    private static WriteBatch Batch(MigrationStatisticsWrite statistics, MigrationPhase phase = MigrationPhase.Backfilling) =>
        WriteBatch.ForUpserts([TestData.Item("i-0", 0)]) with
        {
            Migration = new MigrationMarks("m1", phase, 1, 0, 0, [], []) { Statistics = statistics },
        };

    private static StoredMap Map(string collection, string id, MapState state, DateTimeOffset at) => new(
        id, collection, TestData.Dense, TestData.Sparse, MapKind.CanonicalQ, state, [1, 2, 3], """{"kind":"canonical_q","fitAnchors":10}""", at, at);
}
