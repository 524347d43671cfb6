using Retrieval.Core.Errors;
using Retrieval.Core.Migrations;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// The migration role (<see cref="IMigrationStore"/>): rows read back, the unique index over open migrations, phase
/// compare-and-set with an audit trail, the engine's instructions (clear derived items, definition change) carried out
/// atomically, marks committed with their batch only in the phase they name, delete with the collection.
/// </summary>
public abstract class MigrationConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    [StoreFact]
    public async Task CreateMigration_ThenGetAndList_ReadsBackEveryField()
    {
        var collection = await NewCollectionAsync();
        var migration = Migration(collection.Name, "m1") with { Encoder = "enc", ClientCheckpoint = "row-7", WorkerCursor = "item-3", Backfilled = 4 };

        await MigrationStore.CreateMigrationAsync(migration, "planned", Ct);
        await ReopenAsync();

        Assert.Equal(migration, await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct));
        Assert.Equal(migration, Assert.Single(await MigrationStore.ListMigrationsAsync(collection.Name, Ct)));
        Assert.Null(await MigrationStore.GetMigrationAsync(collection.Name, "missing", Ct));
        var created = Assert.Single(await MigrationStore.ListMigrationEventsAsync(collection.Name, "m1", Ct));
        Assert.Equal(new MigrationEvent("m1", TestData.CreatedAt, null, MigrationPhase.Planned, "test", "planned"), created);
    }

    [StoreFact]
    public async Task CreateMigration_SecondOpenOfSameFromSpace_IsRefusedByTheUniqueIndexUntilTheFirstCloses()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name, "m1"), "planned", Ct);

        var second = await Assert.ThrowsAsync<RetrievalException>(() => MigrationStore.CreateMigrationAsync(Migration(collection.Name, "m2"), "planned", Ct));
        var duplicate = await Assert.ThrowsAsync<RetrievalException>(() => MigrationStore.CreateMigrationAsync(Migration(collection.Name, "m1"), "planned", Ct));
        var unknown = await Assert.ThrowsAsync<RetrievalException>(() => MigrationStore.CreateMigrationAsync(Migration("no-such-collection", "m1"), "planned", Ct));
        Assert.Equal(ErrorKind.FailedPrecondition, second.Kind);
        Assert.Contains("still open", second.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorKind.AlreadyExists, duplicate.Kind);
        Assert.Equal(ErrorKind.NotFound, unknown.Kind);

        var rolledBack = Migration(collection.Name, "m1") with { Phase = MigrationPhase.RolledBack };
        Assert.True(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(rolledBack, MigrationPhase.Planned, "rolled back"), Ct));
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name, "m2"), "planned", Ct);
        Assert.Equal(["m1", "m2"], (await MigrationStore.ListMigrationsAsync(collection.Name, Ct)).Select(m => m.Id));
    }

    [StoreFact]
    public async Task UpdateMigration_WrongExpectedPhase_ChangesNothing()
    {
        var collection = await NewCollectionAsync();
        var migration = Migration(collection.Name, "m1");
        await MigrationStore.CreateMigrationAsync(migration, "planned", Ct);

        Assert.False(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(migration with { Phase = MigrationPhase.Active }, MigrationPhase.Fitted, "skip"), Ct));
        Assert.False(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(Migration(collection.Name, "missing") with { Phase = MigrationPhase.Fitted }, MigrationPhase.Planned, "x"), Ct));

        Assert.Equal(migration, await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct));
        Assert.Single(await MigrationStore.ListMigrationEventsAsync(collection.Name, "m1", Ct));
    }

    [StoreFact]
    public async Task UpdateMigration_PhaseChange_RecordsEventAndKeepsCounters()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name, "m1"), "planned", Ct);
        await ItemStore.WriteAsync(collection.Name, MarkedBatch("m1", backfilled: 2, checkpoint: "10"), Ct);
        var later = TestData.CreatedAt.AddMinutes(5);

        // The update carries stale counters (0): the store keeps the ones the batch committed.
        var fitted = Migration(collection.Name, "m1") with { Phase = MigrationPhase.Fitted, MapId = "map-a", InverseMapId = "map-b", CalibrationJson = "{}", UpdatedAt = later, ChangedBy = "cli:ops" };
        Assert.True(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(fitted, MigrationPhase.Planned, "fitted"), Ct));

        var read = await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct);
        Assert.Equal(fitted with { Backfilled = 2, MappedOnWrite = 1, ClientCheckpoint = "10" }, read);
        var events = await MigrationStore.ListMigrationEventsAsync(collection.Name, "m1", Ct);
        Assert.Equal(2, events.Count);
        Assert.Equal(new MigrationEvent("m1", later, MigrationPhase.Planned, MigrationPhase.Fitted, "cli:ops", "fitted"), events[1]);
    }

    [StoreFact]
    public async Task WriteAsync_WithMarks_CommitsCountersCursorAndDerivedSetWithTheBatch()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name, "m1") with { Phase = MigrationPhase.Backfilling }, "planned", Ct);

        await ItemStore.WriteAsync(collection.Name, MarkedBatch("m1", MigrationPhase.Backfilling, backfilled: 3, checkpoint: "a", derived: ["x", "y", "z"]), Ct);
        await ItemStore.WriteAsync(collection.Name, MarkedBatch("m1", MigrationPhase.Backfilling, backfilled: 1, cursor: "item-9", native: ["y"]), Ct);
        await ReopenAsync();

        var read = (await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct))!;
        Assert.Equal((4L, 2L, 3L, "item-9", "a"), (read.Backfilled, read.MappedOnWrite, read.DerivedOnWrite, read.WorkerCursor, read.ClientCheckpoint));
        Assert.Equal(["x", "z"], await MigrationStore.ListDerivedItemsAsync(collection.Name, "m1", Ct));
        Assert.Equal(2, (await ItemStore.GetItemsAsync(collection.Name, ["i-0", "i-1"], Ct)).Count);
    }

    [StoreFact]
    public async Task UpdateMigration_WithDefinition_ChangesDefinitionAndDeletesRemovedSpaceAtomically()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name, "m1") with { Phase = MigrationPhase.CutOver }, "planned", Ct);
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("both", 1, withOther: true)]), Ct);

        var definition = collection with { Spaces = [.. collection.Spaces.Where(s => s.Name != TestData.Sparse)], UpdatedAt = TestData.CreatedAt.AddHours(1), Version = 1 };
        var retired = Migration(collection.Name, "m1") with { Phase = MigrationPhase.Retired };
        Assert.True(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(retired, MigrationPhase.CutOver, "retired") { Definition = definition, RemovedSpace = TestData.Sparse }, Ct));
        await ReopenAsync();

        var stored = (await CatalogStore.ListCollectionsAsync(Ct)).Single(c => c.Name == collection.Name);
        Assert.Equal([TestData.Dense], stored.Spaces.Select(s => s.Name));
        var item = Assert.Single(await ItemStore.GetItemsAsync(collection.Name, ["both"], Ct));
        Assert.Equal([TestData.Dense], item.Vectors.Keys);
        Assert.Equal(MigrationPhase.Retired, (await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct))!.Phase);
    }

    [StoreFact]
    public async Task WriteAsync_MarksNamingAnotherPhase_FailsTheWholeBatch()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name, "m1") with { Phase = MigrationPhase.Backfilling }, "planned", Ct);
        var before = await ItemStore.GetLastSequenceAsync(collection.Name, Ct);

        // The engine read "active", but the stored phase moved on: nothing of the batch may commit.
        var stale = await Assert.ThrowsAsync<RetrievalException>(
            () => ItemStore.WriteAsync(collection.Name, MarkedBatch("m1", MigrationPhase.Active, backfilled: 2, derived: ["x"]), Ct));
        var unknown = await Assert.ThrowsAsync<RetrievalException>(
            () => ItemStore.WriteAsync(collection.Name, MarkedBatch("missing", MigrationPhase.Backfilling, backfilled: 2), Ct));
        await ReopenAsync();

        Assert.Equal(ErrorKind.FailedPrecondition, stale.Kind);
        Assert.Equal(ErrorKind.FailedPrecondition, unknown.Kind);
        Assert.Equal(before, await ItemStore.GetLastSequenceAsync(collection.Name, Ct));
        Assert.Equal(0, await ItemStore.CountItemsAsync(collection.Name, Ct));
        var read = (await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct))!;
        Assert.Equal((0L, 0L, 0L), (read.Backfilled, read.MappedOnWrite, read.DerivedOnWrite));
        Assert.Empty(await MigrationStore.ListDerivedItemsAsync(collection.Name, "m1", Ct));
    }

    [StoreFact]
    public async Task WriteAsync_WorkerStepOverAMovedCursor_FailsTheWholeBatch()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name, "m1") with { Phase = MigrationPhase.Backfilling }, "planned", Ct);
        // The runner that holds the migration: from the start to "item-3", then on to "item-6".
        await ItemStore.WriteAsync(collection.Name, WorkerBatch("m1", before: null, cursor: "item-3", backfilled: 2), Ct);
        await ItemStore.WriteAsync(collection.Name, WorkerBatch("m1", before: "item-3", cursor: "item-6", backfilled: 2), Ct);
        var before = await ItemStore.GetLastSequenceAsync(collection.Name, Ct);

        // A stale runner that walked from a cursor the store has moved past (or from the start): nothing may commit.
        var stale = await Assert.ThrowsAsync<RetrievalException>(
            () => ItemStore.WriteAsync(collection.Name, WorkerBatch("m1", before: "item-3", cursor: "item-5", backfilled: 2, derived: ["x"]), Ct));
        var fromStart = await Assert.ThrowsAsync<RetrievalException>(
            () => ItemStore.WriteAsync(collection.Name, WorkerBatch("m1", before: null, cursor: "item-2", backfilled: 2), Ct));
        await ReopenAsync();

        Assert.Equal((ErrorKind.FailedPrecondition, ErrorKind.FailedPrecondition), (stale.Kind, fromStart.Kind));
        Assert.Contains("worker cursor moved from 'item-3'", stale.Message, StringComparison.Ordinal);
        Assert.Equal(before, await ItemStore.GetLastSequenceAsync(collection.Name, Ct));
        var read = (await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct))!;
        Assert.Equal((4L, "item-6"), (read.Backfilled, read.WorkerCursor));
        Assert.Empty(await MigrationStore.ListDerivedItemsAsync(collection.Name, "m1", Ct));

        // A client's batch (no worker step) is not bound to the cursor.
        await ItemStore.WriteAsync(collection.Name, MarkedBatch("m1", MigrationPhase.Backfilling, backfilled: 1, checkpoint: "c"), Ct);
        Assert.Equal((5L, "item-6"), ((await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct))!.Backfilled, (await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct))!.WorkerCursor));
    }

    [StoreFact]
    public async Task UpdateMigration_ClearDerivedItems_DeletesTheDerivedListWithThePhaseChange()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name, "m1") with { Phase = MigrationPhase.Backfilling }, "planned", Ct);
        await ItemStore.WriteAsync(collection.Name, MarkedBatch("m1", MigrationPhase.Backfilling, derived: ["x", "y"]), Ct);

        var rolledBack = Migration(collection.Name, "m1") with { Phase = MigrationPhase.RolledBack };
        Assert.True(await MigrationStore.UpdateMigrationAsync(
            new MigrationUpdate(rolledBack, MigrationPhase.Backfilling, "rolled back") { ClearDerivedItems = true }, Ct));
        await ReopenAsync();

        Assert.Empty(await MigrationStore.ListDerivedItemsAsync(collection.Name, "m1", Ct));
        Assert.Equal(MigrationPhase.RolledBack, (await MigrationStore.GetMigrationAsync(collection.Name, "m1", Ct))!.Phase);
    }

    [StoreFact]
    public async Task UpdateMigration_WithoutClearInstruction_KeepsTheDerivedListWhateverThePhase()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name, "m1") with { Phase = MigrationPhase.CutOver }, "planned", Ct);
        await ItemStore.WriteAsync(collection.Name, MarkedBatch("m1", MigrationPhase.CutOver, derived: ["x"]), Ct);

        // What a phase implies is the engine's rule: the store only does what the update says.
        var retired = Migration(collection.Name, "m1") with { Phase = MigrationPhase.Retired };
        Assert.True(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(retired, MigrationPhase.CutOver, "retired"), Ct));

        Assert.Equal(["x"], await MigrationStore.ListDerivedItemsAsync(collection.Name, "m1", Ct));
    }

    [StoreFact]
    public async Task DeleteCollection_WithMigrations_DeletesThem()
    {
        var collection = await NewCollectionAsync();
        await MigrationStore.CreateMigrationAsync(Migration(collection.Name, "m1"), "planned", Ct);
        await ItemStore.WriteAsync(collection.Name, MarkedBatch("m1", derived: ["x"]), Ct);

        await CatalogStore.DeleteCollectionAsync(collection.Name, Ct);
        await CatalogStore.CreateCollectionAsync(collection, Ct);

        Assert.Empty(await MigrationStore.ListMigrationsAsync(collection.Name, Ct));
        Assert.Empty(await MigrationStore.ListMigrationEventsAsync(collection.Name, "m1", Ct));
        Assert.Empty(await MigrationStore.ListDerivedItemsAsync(collection.Name, "m1", Ct));
    }

    private static StoredMigration Migration(string collection, string id) => new(
        id, collection, TestData.Sparse, TestData.Dense, null, MigrationPhase.Planned, """{"mapKind":"orthogonal"}""",
        null, null, null, null, null, 0, 0, 0, null, TestData.CreatedAt, TestData.CreatedAt, "test");

    private static WriteBatch MarkedBatch(string migration, MigrationPhase phase = MigrationPhase.Planned, long backfilled = 0, string? checkpoint = null, string? cursor = null, IReadOnlyList<string>? derived = null, IReadOnlyList<string>? native = null) =>
        WriteBatch.ForUpserts([TestData.Item("i-0", 0), TestData.Item("i-1", 1)]) with
        {
            Migration = new MigrationMarks(migration, phase, backfilled, 1, derived?.Count ?? 0, derived ?? [], native ?? [], cursor, checkpoint),
        };

    private static WriteBatch WorkerBatch(string migration, string? before, string cursor, long backfilled, IReadOnlyList<string>? derived = null) =>
        WriteBatch.ForUpserts([TestData.Item("i-0", 0), TestData.Item("i-1", 1)]) with
        {
            Migration = new MigrationMarks(migration, MigrationPhase.Backfilling, backfilled, 0, derived?.Count ?? 0, derived ?? [], [], cursor, WorkerStep: new MigrationWorkerStep(before)),
        };
}
