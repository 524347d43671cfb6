using Retrieval.Core.Errors;
using Retrieval.Core.Migrations;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// A guarded batch (nodes of a cluster) commits only against the definition version and the open migration it was
/// validated against; otherwise nothing of it is written and it fails Aborted.
/// </summary>
public abstract partial class ItemConformanceTests<TFixture>
    where TFixture : class, IStoreFixture
{
    [StoreFact]
    public async Task WriteAsync_GuardHolds_Commits()
    {
        var collection = await NewCollectionAsync();
        var batch = WriteBatch.ForUpserts([TestData.Item("a", 1)]) with { Guard = new WriteGuard(0, null, null) };

        Assert.Equal(1, await ItemStore.WriteAsync(collection.Name, batch, Ct));
    }

    [StoreFact]
    public async Task WriteAsync_StaleDefinitionVersion_ThrowsAbortedAndWritesNothing()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("kept", 1)]), Ct);
        await CatalogStore.UpdateCollectionAsync(collection with { Version = 1 }, null, Ct);
        var stale = WriteBatch.ForUpserts([TestData.Item("a", 2)]) with { Deletes = ["kept"], Guard = new WriteGuard(0, null, null) };

        var error = await Assert.ThrowsAsync<RetrievalException>(() => ItemStore.WriteAsync(collection.Name, stale, Ct));

        Assert.Equal(ErrorKind.Aborted, error.Kind);
        Assert.Equal(1, await ItemStore.GetLastSequenceAsync(collection.Name, Ct));
        Assert.Equal(["kept"], (await ReadAllChangesAsync(collection.Name, 0)).Select(c => c.Id));
        Assert.Equal(2, await ItemStore.WriteAsync(collection.Name, stale with { Guard = new WriteGuard(1, null, null) }, Ct));
    }

    [StoreFact]
    public async Task WriteAsync_OpenMigrationNotAsGuarded_ThrowsAborted()
    {
        var collection = await NewCollectionAsync();
        var planned = new StoredMigration("m1", collection.Name, TestData.Sparse, TestData.Dense, null, MigrationPhase.Planned, """{"mapKind":"orthogonal"}""",
            null, null, null, null, null, 0, 0, 0, null, TestData.CreatedAt, TestData.CreatedAt, "test");
        await MigrationStore.CreateMigrationAsync(planned, "planned", Ct);

        // A node that has not seen the migration yet, and one that has seen it in another phase.
        var unseen = await Assert.ThrowsAsync<RetrievalException>(() => ItemStore.WriteAsync(
            collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1)]) with { Guard = new WriteGuard(0, null, null) }, Ct));
        var otherPhase = await Assert.ThrowsAsync<RetrievalException>(() => ItemStore.WriteAsync(
            collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1)]) with { Guard = new WriteGuard(0, "m1", MigrationPhase.Active) }, Ct));

        Assert.Equal(ErrorKind.Aborted, unseen.Kind);
        Assert.Equal(ErrorKind.Aborted, otherPhase.Kind);
        Assert.Equal(0, await ItemStore.GetLastSequenceAsync(collection.Name, Ct));
        Assert.Equal(1, await ItemStore.WriteAsync(
            collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1)]) with { Guard = new WriteGuard(0, "m1", MigrationPhase.Planned) }, Ct));

        var closed = planned with { Phase = MigrationPhase.RolledBack, UpdatedAt = TestData.CreatedAt.AddMinutes(1) };
        Assert.True(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(closed, MigrationPhase.Planned, "rolled back"), Ct));
        Assert.Equal(2, await ItemStore.WriteAsync(
            collection.Name, WriteBatch.ForUpserts([TestData.Item("b", 2)]) with { Guard = new WriteGuard(0, null, null) }, Ct));
    }

    [StoreFact]
    public async Task WriteAsync_GuardOnUnknownCollection_ThrowsNotFound()
    {
        var batch = WriteBatch.ForUpserts([TestData.Item("a", 1)]) with { Guard = new WriteGuard(0, null, null) };

        var error = await Assert.ThrowsAsync<RetrievalException>(() => ItemStore.WriteAsync(TestData.NewCollectionName(), batch, Ct));

        Assert.Equal(ErrorKind.NotFound, error.Kind);
    }
}
