using Retrieval.Core.Errors;
using Retrieval.Core.Migrations;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// The migration state machine's store side: rows read back, one open migration per (collection, from space), phase
/// compare-and-set with an audit trail, marks committed with their batch, atomic definition changes, delete with the collection.
/// </summary>
public abstract class MigrationConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    [StoreFact]
    public async Task CreateMigration_ThenGetAndList_ReadsBackEveryField()
    {
        var collection = await NewCollectionAsync();
        var migration = Migration(collection.Name, "m1") with { Encoder = "enc", ClientCheckpoint = "row-7", WorkerCursor = "item-3", Backfilled = 4 };

        await Store.CreateMigrationAsync(migration, "planned", Ct);
        await ReopenAsync();

        Assert.Equal(migration, await Store.GetMigrationAsync(collection.Name, "m1", Ct));
        Assert.Equal(migration, Assert.Single(await Store.ListMigrationsAsync(collection.Name, Ct)));
        Assert.Null(await Store.GetMigrationAsync(collection.Name, "missing", Ct));
        var created = Assert.Single(await Store.ListMigrationEventsAsync(collection.Name, "m1", Ct));
        Assert.Equal(new MigrationEvent("m1", TestData.CreatedAt, null, MigrationPhase.Planned, "test", "planned"), created);
    }

    [StoreFact]
    public async Task CreateMigration_SecondOpenOfSameFromSpace_IsRefusedUntilTheFirstCloses()
    {
        var collection = await NewCollectionAsync();
        await Store.CreateMigrationAsync(Migration(collection.Name, "m1"), "planned", Ct);

        var second = await Assert.ThrowsAsync<RetrievalException>(() => Store.CreateMigrationAsync(Migration(collection.Name, "m2"), "planned", Ct));
        var duplicate = await Assert.ThrowsAsync<RetrievalException>(() => Store.CreateMigrationAsync(Migration(collection.Name, "m1"), "planned", Ct));
        var unknown = await Assert.ThrowsAsync<RetrievalException>(() => Store.CreateMigrationAsync(Migration("no-such-collection", "m1"), "planned", Ct));
        Assert.Equal(ErrorKind.FailedPrecondition, second.Kind);
        Assert.Contains("planned", second.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorKind.AlreadyExists, duplicate.Kind);
        Assert.Equal(ErrorKind.NotFound, unknown.Kind);

        var rolledBack = Migration(collection.Name, "m1") with { Phase = MigrationPhase.RolledBack };
        Assert.True(await Store.UpdateMigrationAsync(rolledBack, MigrationPhase.Planned, "rolled back", null, null, Ct));
        await Store.CreateMigrationAsync(Migration(collection.Name, "m2"), "planned", Ct);
        Assert.Equal(["m1", "m2"], (await Store.ListMigrationsAsync(collection.Name, Ct)).Select(m => m.Id));
    }

    [StoreFact]
    public async Task UpdateMigration_WrongExpectedPhase_ChangesNothing()
    {
        var collection = await NewCollectionAsync();
        var migration = Migration(collection.Name, "m1");
        await Store.CreateMigrationAsync(migration, "planned", Ct);

        Assert.False(await Store.UpdateMigrationAsync(migration with { Phase = MigrationPhase.Active }, MigrationPhase.Fitted, "skip", null, null, Ct));
        Assert.False(await Store.UpdateMigrationAsync(Migration(collection.Name, "missing") with { Phase = MigrationPhase.Fitted }, MigrationPhase.Planned, "x", null, null, Ct));

        Assert.Equal(migration, await Store.GetMigrationAsync(collection.Name, "m1", Ct));
        Assert.Single(await Store.ListMigrationEventsAsync(collection.Name, "m1", Ct));
    }

    [StoreFact]
    public async Task UpdateMigration_PhaseChange_RecordsEventAndKeepsCounters()
    {
        var collection = await NewCollectionAsync();
        await Store.CreateMigrationAsync(Migration(collection.Name, "m1"), "planned", Ct);
        await Store.WriteAsync(collection.Name, MarkedBatch("m1", backfilled: 2, checkpoint: "10"), Ct);
        var later = TestData.CreatedAt.AddMinutes(5);

        // The update carries stale counters (0): the store keeps the ones the batch committed.
        var fitted = Migration(collection.Name, "m1") with { Phase = MigrationPhase.Fitted, MapId = "map-a", InverseMapId = "map-b", CalibrationJson = "{}", UpdatedAt = later, ChangedBy = "cli:ops" };
        Assert.True(await Store.UpdateMigrationAsync(fitted, MigrationPhase.Planned, "fitted", null, null, Ct));

        var read = await Store.GetMigrationAsync(collection.Name, "m1", Ct);
        Assert.Equal(fitted with { Backfilled = 2, MappedOnWrite = 1, ClientCheckpoint = "10" }, read);
        var events = await Store.ListMigrationEventsAsync(collection.Name, "m1", Ct);
        Assert.Equal(2, events.Count);
        Assert.Equal(new MigrationEvent("m1", later, MigrationPhase.Planned, MigrationPhase.Fitted, "cli:ops", "fitted"), events[1]);
    }

    [StoreFact]
    public async Task WriteAsync_WithMarks_CommitsCountersCursorAndDerivedSetWithTheBatch()
    {
        var collection = await NewCollectionAsync();
        await Store.CreateMigrationAsync(Migration(collection.Name, "m1") with { Phase = MigrationPhase.Backfilling }, "planned", Ct);

        await Store.WriteAsync(collection.Name, MarkedBatch("m1", backfilled: 3, checkpoint: "a", derived: ["x", "y", "z"]), Ct);
        await Store.WriteAsync(collection.Name, MarkedBatch("m1", backfilled: 1, cursor: "item-9", native: ["y"]), Ct);
        await ReopenAsync();

        var read = (await Store.GetMigrationAsync(collection.Name, "m1", Ct))!;
        Assert.Equal((4L, 2L, 3L, "item-9", "a"), (read.Backfilled, read.MappedOnWrite, read.DerivedOnWrite, read.WorkerCursor, read.ClientCheckpoint));
        Assert.Equal(["x", "z"], await Store.ListDerivedItemsAsync(collection.Name, "m1", Ct));
        Assert.Equal(2, (await Store.GetItemsAsync(collection.Name, ["i-0", "i-1"], Ct)).Count);
    }

    [StoreFact]
    public async Task UpdateMigration_WithDefinition_ChangesDefinitionAndDeletesRemovedSpaceAtomically()
    {
        var collection = await NewCollectionAsync();
        await Store.CreateMigrationAsync(Migration(collection.Name, "m1") with { Phase = MigrationPhase.CutOver }, "planned", Ct);
        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("both", 1, withOther: true)]), Ct);

        var definition = collection with { Spaces = [.. collection.Spaces.Where(s => s.Name != TestData.Sparse)], UpdatedAt = TestData.CreatedAt.AddHours(1) };
        var retired = Migration(collection.Name, "m1") with { Phase = MigrationPhase.Retired };
        Assert.True(await Store.UpdateMigrationAsync(retired, MigrationPhase.CutOver, "retired", definition, TestData.Sparse, Ct));
        await ReopenAsync();

        var stored = (await Store.ListCollectionsAsync(Ct)).Single(c => c.Name == collection.Name);
        Assert.Equal([TestData.Dense], stored.Spaces.Select(s => s.Name));
        var item = Assert.Single(await Store.GetItemsAsync(collection.Name, ["both"], Ct));
        Assert.Equal([TestData.Dense], item.Vectors.Keys);
        Assert.Equal(MigrationPhase.Retired, (await Store.GetMigrationAsync(collection.Name, "m1", Ct))!.Phase);
    }

    [StoreFact]
    public async Task DeleteCollection_WithMigrations_DeletesThem()
    {
        var collection = await NewCollectionAsync();
        await Store.CreateMigrationAsync(Migration(collection.Name, "m1"), "planned", Ct);
        await Store.WriteAsync(collection.Name, MarkedBatch("m1", derived: ["x"]), Ct);

        await Store.DeleteCollectionAsync(collection.Name, Ct);
        await Store.CreateCollectionAsync(collection, Ct);

        Assert.Empty(await Store.ListMigrationsAsync(collection.Name, Ct));
        Assert.Empty(await Store.ListMigrationEventsAsync(collection.Name, "m1", Ct));
        Assert.Empty(await Store.ListDerivedItemsAsync(collection.Name, "m1", Ct));
    }

    private static StoredMigration Migration(string collection, string id) => new(
        id, collection, TestData.Sparse, TestData.Dense, null, MigrationPhase.Planned, """{"mapKind":"orthogonal"}""",
        null, null, null, null, null, 0, 0, 0, null, TestData.CreatedAt, TestData.CreatedAt, "test");

    private static WriteBatch MarkedBatch(string migration, long backfilled = 0, string? checkpoint = null, string? cursor = null, IReadOnlyList<string>? derived = null, IReadOnlyList<string>? native = null) =>
        WriteBatch.ForUpserts([TestData.Item("i-0", 0), TestData.Item("i-1", 1)]) with
        {
            Migration = new MigrationMarks(migration, backfilled, 1, derived?.Count ?? 0, derived ?? [], native ?? [], cursor, checkpoint),
        };
}
