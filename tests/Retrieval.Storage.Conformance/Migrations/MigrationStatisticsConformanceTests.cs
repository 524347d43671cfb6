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
        await ItemStore.WriteAsync(collection.Name, Batch(new MigrationStatisticsWrite([9, 8], 6, 10, [new(1, "c"), new(2, "d")]) { ExpectedVersion = 1 }), Ct);
        await ReopenAsync();

        var stored = await MigrationStore.GetMigrationStatisticsAsync(collection.Name, "m1", Ct);
        Assert.NotNull(stored);
        Assert.Equal([9, 8], stored.Data);
        Assert.Equal((6L, 10L), (stored.HeldOutPairs, stored.SeedPairs));
        Assert.Equal([new MigrationReservoirSlot(0, "a"), new(1, "c"), new(2, "d")], stored.Reservoir);
        Assert.Equal(2, stored.Version);
    }

    [StoreFact]
    public async Task WriteAsync_StatisticsReplacedByAnotherWriterFirst_RefusesTheWholeBatch()
    {
        // Review finding 4: two nodes read version 1 and each adds its own pairs; the second must not overwrite the first's.
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name), "planned", Ct);
        await ItemStore.WriteAsync(collection.Name, Batch(new MigrationStatisticsWrite([1], 0, 0, [new(0, "a")])), Ct);
        await ItemStore.WriteAsync(collection.Name, Batch(new MigrationStatisticsWrite([1, 2], 0, 0, [new(1, "b")]) { ExpectedVersion = 1 }, "i-1"), Ct);

        var conflict = await Assert.ThrowsAsync<MigrationStatisticsConflictException>(
            () => ItemStore.WriteAsync(collection.Name, Batch(new MigrationStatisticsWrite([1, 3], 0, 0, [new(2, "c")]) { ExpectedVersion = 1 }, "i-2"), Ct));
        Assert.Equal("m1", conflict.MigrationId);
        // A first write when statistics exist is refused the same way.
        await Assert.ThrowsAsync<MigrationStatisticsConflictException>(
            () => ItemStore.WriteAsync(collection.Name, Batch(new MigrationStatisticsWrite([7], 0, 0, []), "i-3"), Ct));
        await ReopenAsync();

        var stored = await MigrationStore.GetMigrationStatisticsAsync(collection.Name, "m1", Ct);
        Assert.NotNull(stored);
        Assert.Equal([1, 2], stored.Data);
        Assert.Equal(2L, stored.Version);
        Assert.Equal([new MigrationReservoirSlot(0, "a"), new(1, "b")], stored.Reservoir);
        // Nothing of the refused batches committed: neither their counters nor their items.
        Assert.Equal(2, (await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct))!.Backfilled);
        Assert.Empty(await ItemStore.GetItemsAsync(collection.Name, ["i-2", "i-3"], Ct));
    }

    [StoreFact]
    public async Task WriteAsync_TwoWritersFromTheSameVersionAtOnce_ExactlyOneCommits()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name), "planned", Ct);
        await ItemStore.WriteAsync(collection.Name, Batch(new MigrationStatisticsWrite([1], 0, 0, [])), Ct);

        var writers = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            try
            {
                await ItemStore.WriteAsync(collection.Name, Batch(new MigrationStatisticsWrite([(byte)(10 + i)], 0, 0, []) { ExpectedVersion = 1 }, "w-" + i), Ct);
                return true;
            }
            catch (MigrationStatisticsConflictException)
            {
                return false;
            }
        })).ToArray();
        var committed = await Task.WhenAll(writers);

        Assert.Equal(1, committed.Count(c => c));
        var winner = Array.IndexOf(committed, true);
        var stored = await MigrationStore.GetMigrationStatisticsAsync(collection.Name, "m1", Ct);
        Assert.Equal([(byte)(10 + winner)], stored!.Data);
        Assert.Equal(2L, stored.Version);
        Assert.Equal(2, (await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct))!.Backfilled);
    }

    [StoreFact]
    public async Task UpdateMigration_SeedStatisticsAndEvaluationQueries_AreStoredAndReplaced()
    {
        var collection = await NewCollectionAsync();
        var planned = Migration(collection.Name) with { Phase = MigrationPhase.Planned };
        await MigrationStore.CreateMigrationAsync(planned, "planned", Ct);
        Assert.Null(await MigrationStore.GetMigrationEvaluationQueriesAsync(collection.Name, "m1", Ct));

        var fitted = planned with { Phase = MigrationPhase.Fitted };
        Assert.True(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(fitted, MigrationPhase.Planned, "fitted")
        {
            ReplaceStatistics = true,
            SeedStatistics = new MigrationStatisticsWrite([5, 5], 0, 40, []),
            EvaluationQueries = [7, 7, 7],
        }, Ct));
        await ReopenAsync();

        var seeded = await MigrationStore.GetMigrationStatisticsAsync(collection.Name, "m1", Ct);
        Assert.Equal([5, 5], seeded!.Data);
        Assert.Equal((40L, 0L), (seeded.SeedPairs, seeded.Version));
        Assert.Equal([7, 7, 7], await MigrationStore.GetMigrationEvaluationQueriesAsync(collection.Name, "m1", Ct));

        // A later update without evaluation queries keeps them; a repeated fit without inline anchors deletes the seed.
        Assert.True(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(fitted, MigrationPhase.Fitted, "fitted again") { ReplaceStatistics = true }, Ct));
        Assert.Null(await MigrationStore.GetMigrationStatisticsAsync(collection.Name, "m1", Ct));
        Assert.Equal([7, 7, 7], await MigrationStore.GetMigrationEvaluationQueriesAsync(collection.Name, "m1", Ct));

        // The first batch over a seed names version 0.
        Assert.True(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(fitted with { Phase = MigrationPhase.Backfilling }, MigrationPhase.Fitted, "backfill")
        {
            ReplaceStatistics = true,
            SeedStatistics = new MigrationStatisticsWrite([5], 0, 1, []),
        }, Ct));
        await ItemStore.WriteAsync(collection.Name, Batch(new MigrationStatisticsWrite([5, 6], 0, 1, []) { ExpectedVersion = 0 }), Ct);
        Assert.Equal(1, (await MigrationStore.GetMigrationStatisticsAsync(collection.Name, "m1", Ct))!.Version);
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

    private static WriteBatch Batch(MigrationStatisticsWrite statistics, MigrationPhase phase = MigrationPhase.Backfilling) => Batch(statistics, "i-0", phase);

    private static WriteBatch Batch(MigrationStatisticsWrite statistics, string itemId, MigrationPhase phase = MigrationPhase.Backfilling) =>
        WriteBatch.ForUpserts([TestData.Item(itemId, 0)]) with
        {
            Migration = new MigrationMarks("m1", phase, 1, 0, 0, [], []) { Statistics = statistics },
        };

    private static StoredMap Map(string collection, string id, MapState state, DateTimeOffset at) => new(
        id, collection, TestData.Dense, TestData.Sparse, MapKind.CanonicalQ, state, [1, 2, 3], """{"kind":"canonical_q","fitAnchors":10}""", at, at);
}
