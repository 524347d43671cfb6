using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Migrations;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance.Transfer;

/// <summary>
/// The transfer role: a collection's rows come out of one read transaction exactly as they are (sequence numbers,
/// tombstones, raw inputs, maps, migrations with events and derived lists), go back in under another name or over the
/// same one, and an import that fails part-way leaves nothing behind.
/// </summary>
public abstract class TransferConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    private ICollectionTransferStore Transfer => Store;

    [StoreFact]
    public async Task Import_UnderAnotherName_HoldsEveryRowAsExported()
    {
        var source = await FilledCollectionAsync();
        var exported = await ExportAsync(source);
        Assert.Equal(4, exported.LastSequence);
        Assert.Contains(exported.Changes, c => c.IsDelete && c.Id == "gone");

        var copy = TestData.NewCollectionName();
        await Transfer.ImportCollectionAsync(Rows(exported, exported.Definition with { Name = copy }), replace: false, Ct);
        await ReopenAsync();

        var imported = await ExportAsync(copy);
        AssertSame(exported, imported, copy);
        // The copy is a collection like any other: its log goes on after the imported sequence, and its readers work.
        Assert.Equal(exported.LastSequence + 1, await ItemStore.WriteAsync(copy, WriteBatch.ForUpserts([TestData.Item("new", 9)]), Ct));
        Assert.Equal(["i-0", "i-1"], (await RawInputStore.GetRawInputsAsync(copy, ["i-0", "i-1"], TestData.Dense, Ct)).Select(r => r.ItemId).Order());
        Assert.Equal(["m-1"], (await MigrationStore.ListDerivedItemsAsync(copy, "mig", Ct)));
    }

    [StoreFact]
    public async Task Import_OverAnExistingCollection_OnlyWithReplace()
    {
        var source = await FilledCollectionAsync();
        var exported = await ExportAsync(source);
        await ItemStore.WriteAsync(source, WriteBatch.ForUpserts([TestData.Item("after", 7)]), Ct);

        var refused = await Assert.ThrowsAsync<RetrievalException>(() => Transfer.ImportCollectionAsync(Rows(exported, exported.Definition), replace: false, Ct));
        Assert.Equal(ErrorKind.AlreadyExists, refused.Kind);
        Assert.NotNull(await GetItemAsync(source, "after"));

        await Transfer.ImportCollectionAsync(Rows(exported, exported.Definition), replace: true, Ct);
        AssertSame(exported, await ExportAsync(source), source);
        Assert.Null(await GetItemAsync(source, "after"));
    }

    [StoreFact]
    public async Task Import_FailingPartWay_LeavesNothing()
    {
        var source = await FilledCollectionAsync();
        var exported = await ExportAsync(source);
        var copy = TestData.NewCollectionName();
        var failing = Rows(exported, exported.Definition with { Name = copy }) with { Maps = Failing<StoredMap>() };
        await Assert.ThrowsAsync<InjectedFailureException>(() => Transfer.ImportCollectionAsync(failing, replace: false, Ct));
        Assert.DoesNotContain(await CatalogStore.ListCollectionsAsync(Ct), c => c.Name == copy);

        // Over an existing collection, a failed replace keeps the old rows.
        await ItemStore.WriteAsync(source, WriteBatch.ForUpserts([TestData.Item("kept", 8)]), Ct);
        await Assert.ThrowsAsync<InjectedFailureException>(() => Transfer.ImportCollectionAsync(Rows(exported, exported.Definition) with { Maps = Failing<StoredMap>() }, replace: true, Ct));
        Assert.NotNull(await GetItemAsync(source, "kept"));
    }

    [StoreFact]
    public async Task Export_UnknownCollection_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<RetrievalException>(() => ExportAsync("never-created"));
        Assert.Equal(ErrorKind.NotFound, error.Kind);
    }

    /// <summary>Items (one with raw inputs in both spaces), a delete, a map, and a migration with two events and a derived item.</summary>
    private async Task<string> FilledCollectionAsync()
    {
        var collection = (await NewCollectionAsync()).Name;
        var withInputs = TestData.Item("i-0", 0, """{"a":1}""", withOther: true) with
        {
            RawInputs = new Dictionary<string, RawInput> { [TestData.Dense] = RawInput.FromText("zero"), [TestData.Sparse] = RawInput.FromImage([1, 2, 3]) },
        };
        var tensor = TestData.Item("i-1", 1) with { RawInputs = new Dictionary<string, RawInput> { [TestData.Dense] = RawInput.FromTensor([2], [0.5f, -1]) } };
        await ItemStore.WriteAsync(collection, WriteBatch.ForUpserts([withInputs, tensor, TestData.Item("gone", 2), TestData.Item("é-unicode", 3, """{"s":"ü"}""")]), Ct);
        await ItemStore.WriteAsync(collection, WriteBatch.ForDeletes(["gone"]), Ct);
        await MapStore.SaveMapAsync(new StoredMap(
            "map-1", collection, TestData.Sparse, TestData.Dense, MapKind.Orthogonal, MapState.Active, [1, 2, 3, 0, 255], """{"fitAnchors":3}""",
            TestData.CreatedAt, TestData.CreatedAt.AddSeconds(1)), Ct);
        var migration = new StoredMigration(
            "mig", collection, TestData.Sparse, TestData.Dense, null, MigrationPhase.Planned, """{"mapKind":"orthogonal"}""",
            null, null, null, null, null, 0, 0, 0, null, TestData.CreatedAt, TestData.CreatedAt, "test");
        await MigrationStore.CreateMigrationAsync(migration, "planned", Ct);
        var fitted = migration with { Phase = MigrationPhase.Fitted, MapId = "map-1", CalibrationJson = """{"a":1}""", UpdatedAt = TestData.CreatedAt.AddSeconds(2) };
        Assert.True(await MigrationStore.UpdateMigrationAsync(new MigrationUpdate(fitted, MigrationPhase.Planned, "fitted"), Ct));
        await ItemStore.WriteAsync(collection, WriteBatch.ForUpserts([TestData.Item("m-1", 5)]) with
        {
            Migration = new MigrationMarks("mig", MigrationPhase.Fitted, 1, 0, 1, ["m-1"], [], "m-1", "row-5"),
        }, Ct);
        await ItemStore.WriteAsync(collection, WriteBatch.ForUpserts([TestData.Item("i-1", 6, """{"b":2}""")]), Ct);
        return collection;
    }

    private Task<Exported> ExportAsync(string collection) =>
        Transfer.ExportCollectionAsync(collection, async (rows, ct) => new Exported(
            rows.Definition,
            rows.LastSequence,
            await ToListAsync(rows.Changes, ct),
            await ToListAsync(rows.RawInputs, ct),
            await ToListAsync(rows.Maps, ct),
            await ToListAsync(rows.Migrations, ct),
            await ToListAsync(rows.MigrationEvents, ct),
            await ToListAsync(rows.DerivedItems, ct)), Ct);

    private static CollectionRows Rows(Exported exported, Core.Model.CollectionDefinition definition) => new(
        definition,
        exported.LastSequence,
        exported.Changes.ToAsyncEnumerable(),
        exported.RawInputs.ToAsyncEnumerable(),
        exported.Maps.ToAsyncEnumerable(),
        exported.Migrations.ToAsyncEnumerable(),
        exported.Events.ToAsyncEnumerable(),
        exported.Derived.ToAsyncEnumerable());

    private static void AssertSame(Exported expected, Exported actual, string name)
    {
        TestData.AssertSameDefinition(expected.Definition with { Name = name }, actual.Definition);
        Assert.Equal(expected.LastSequence, actual.LastSequence);
        TestData.AssertSameChanges(expected.Changes, actual.Changes);
        Assert.Equal(expected.RawInputs.OrderBy(r => (r.ItemId, r.Space)), actual.RawInputs.OrderBy(r => (r.ItemId, r.Space)));
        Assert.Equal(
            expected.Maps.Select(m => (m with { Collection = name, Data = [] }, Convert.ToHexString(m.Data))),
            actual.Maps.Select(m => (m with { Data = [] }, Convert.ToHexString(m.Data))));
        Assert.Equal(expected.Migrations.Select(m => m with { Collection = name }), actual.Migrations);
        Assert.Equal(expected.Events, actual.Events);
        Assert.Equal(expected.Derived, actual.Derived);
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> rows, CancellationToken cancellationToken)
    {
        var list = new List<T>();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            list.Add(row);
        }

        return list;
    }

#pragma warning disable CS1998 // an iterator that fails before yielding anything
    private static async IAsyncEnumerable<T> Failing<T>()
    {
        throw new InjectedFailureException("import source failed");
#pragma warning disable CS0162
        yield break;
#pragma warning restore CS0162
    }
#pragma warning restore CS1998

    private sealed record Exported(
        Core.Model.CollectionDefinition Definition,
        long LastSequence,
        List<ItemChange> Changes,
        List<StoredRawInput> RawInputs,
        List<StoredMap> Maps,
        List<StoredMigration> Migrations,
        List<MigrationEvent> Events,
        List<MigrationDerivedItem> Derived);
}
