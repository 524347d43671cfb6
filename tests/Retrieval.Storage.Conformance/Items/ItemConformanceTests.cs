using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// The item role (<see cref="IItemStore"/>) on every store: writes and their sequences, merges and multi-vector items here;
/// the change feed and durability, and concurrent use, in the other parts of this suite.
/// </summary>
public abstract partial class ItemConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    // The write path: sequences, atomicity, deletes, ids and batch sizes.

    [StoreFact]
    public async Task Write_SuccessiveBatches_ReturnsStrictlyIncreasingSequencesPerCollection()
    {
        var first = await NewCollectionAsync();
        var second = await NewCollectionAsync();

        var sequences = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            sequences.Add(await ItemStore.WriteAsync(first.Name, WriteBatch.ForUpserts([TestData.Item($"i{i}", i)]), Ct));
        }

        sequences.Add(await ItemStore.WriteAsync(first.Name, WriteBatch.ForDeletes(["no-such-item"]), Ct));
        var other = await ItemStore.WriteAsync(second.Name, WriteBatch.ForUpserts([TestData.Item("x", 1)]), Ct);

        Assert.Equal([1, 2, 3, 4, 5, 6], sequences);
        Assert.Equal(6, await ItemStore.GetLastSequenceAsync(first.Name, Ct));
        Assert.Equal(1, other);
    }

    [StoreFact]
    public async Task Write_UnknownCollection_ThrowsNotFoundAndCreatesNothing()
    {
        var unknown = TestData.NewCollectionName();

        var error = await Assert.ThrowsAsync<RetrievalException>(
            () => ItemStore.WriteAsync(unknown, WriteBatch.ForUpserts([TestData.Item("a", 1)]), Ct));

        Assert.Equal(ErrorKind.NotFound, error.Kind);
        Assert.DoesNotContain(await CatalogStore.ListCollectionsAsync(Ct), c => c.Name == unknown);
    }

    [StoreFact]
    public async Task Write_BatchFailingMidway_ChangesNothing()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(
            collection.Name, WriteBatch.ForUpserts([TestData.Item("kept", 1, "{\"v\":1}"), TestData.Item("gone", 2)]), Ct);

        // Both write paths: a small batch (parameters) and one large enough for bulk staging.
        foreach (var size in new[] { 10, 300 })
        {
            var items = Enumerable.Range(0, size)
                .Select(i => i == 0 ? TestData.Item("kept", 99, "{\"v\":2}") : TestData.Item($"new-{i}", i))
                .ToList();
            var batch = new WriteBatch(new FailingUpserts(items, failAt: size - 2), ["gone"]);

            await Assert.ThrowsAsync<InjectedFailureException>(() => ItemStore.WriteAsync(collection.Name, batch, Ct));

            Assert.Equal(1, await ItemStore.GetLastSequenceAsync(collection.Name, Ct));
            Assert.Equal(2, await ItemStore.CountItemsAsync(collection.Name, Ct));
            Assert.NotNull(await GetItemAsync(collection.Name, "gone"));
            var kept = await GetItemAsync(collection.Name, "kept");
            Assert.Equal("{\"v\":1}", kept!.PayloadJson);
            TestData.AssertSameVectors(TestData.Item("kept", 1).Vectors, kept.Vectors);
        }

        // The store is still usable and the next batch takes the next sequence.
        Assert.Equal(2, await ItemStore.WriteAsync(collection.Name, WriteBatch.ForDeletes(["gone"]), Ct));
    }

    [StoreFact]
    public async Task Write_Delete_RemovesItemAndItsVectors()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(
            collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1, withOther: true), TestData.Item("b", 2)]), Ct);

        var sequence = await ItemStore.WriteAsync(collection.Name, WriteBatch.ForDeletes(["a"]), Ct);

        Assert.Null(await GetItemAsync(collection.Name, "a"));
        Assert.Equal(1, await ItemStore.CountItemsAsync(collection.Name, Ct));
        var changes = await ReadAllChangesAsync(collection.Name, 1);
        var delete = Assert.Single(changes);
        Assert.True(delete.IsDelete);
        Assert.Equal(("a", sequence), (delete.Id, delete.Sequence));

        // Re-creating the id with one space must not resurrect the deleted item's other vectors.
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 5)]), Ct);
        Assert.Equal([TestData.Dense], (await GetItemAsync(collection.Name, "a"))!.Vectors.Keys);
    }

    [StoreFact]
    public async Task Write_DeleteOfUnknownId_SucceedsWithoutTombstone()
    {
        var collection = await NewCollectionAsync();

        var sequence = await ItemStore.WriteAsync(collection.Name, WriteBatch.ForDeletes(["never-existed"]), Ct);

        Assert.Equal(1, sequence);
        Assert.Empty(await ReadAllChangesAsync(collection.Name, 0));
    }

    [StoreFact]
    public async Task Write_UpsertsAndDeletesInOneBatch_ShareOneSequence()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("old", 1)]), Ct);

        var sequence = await ItemStore.WriteAsync(collection.Name, new WriteBatch([TestData.Item("new", 2)], ["old"]), Ct);

        var changes = await ReadAllChangesAsync(collection.Name, 0);
        Assert.Equal([("new", sequence, false), ("old", sequence, true)], changes.Select(c => (c.Id, c.Sequence, c.IsDelete)));
    }

    [StoreFact]
    public async Task Write_UnicodeIdsUpTo256Bytes_RoundTripInUtf8Order()
    {
        var collection = await NewCollectionAsync();
        string[] ids =
        [
            new string('é', 128),                                   // 256 bytes of 2-byte characters
            string.Concat(Enumerable.Repeat("😀", 64)),             // 256 bytes of surrogate pairs
            string.Concat(Enumerable.Repeat("日本語", 28)) + "ab",  // 254 bytes, mixed widths
            "\uFFFD",                                               // sorts before U+1F600 in UTF-16, after it in UTF-8
            "'; DROP TABLE items; --",
            "A", "a", "Z",
        ];

        var sequence = await ItemStore.WriteAsync(
            collection.Name, WriteBatch.ForUpserts(ids.Select((id, i) => TestData.Item(id, i, $"{{\"i\":{i}}}")).ToList()), Ct);

        var stored = await ItemStore.GetItemsAsync(collection.Name, ids, Ct);
        Assert.Equal(ids.Order(StringComparer.Ordinal), stored.Select(s => s.Id).Order(StringComparer.Ordinal));
        var changes = await ReadAllChangesAsync(collection.Name, 0);
        Assert.Equal(ids.Order(Comparer<string>.Create(TestData.CompareUtf8)), changes.Select(c => c.Id));
        Assert.All(changes, c => Assert.Equal(sequence, c.Sequence));
    }

    [StoreFact]
    public async Task Write_LargeBatch_RoundTripsEveryItem()
    {
        var collection = await NewCollectionAsync();
        var items = Enumerable.Range(0, 5000)
            .Select(i => TestData.Item($"item-{i:D5}", i, i % 2 == 0 ? $"{{\"n\":{i}}}" : null, withOther: i % 3 == 0))
            .ToList();

        var sequence = await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts(items), Ct);

        Assert.Equal(5000, await ItemStore.CountItemsAsync(collection.Name, Ct));
        var changes = await ReadAllChangesAsync(collection.Name, 0);
        var expected = items
            .Select(w => new ItemChange(w.Id, sequence, new StoredItem(w.Id, w.PayloadJson ?? "{}", w.Vectors, sequence)))
            .ToList();
        TestData.AssertSameChanges(expected, changes);
    }

    [StoreFact]
    public async Task GetItems_UnknownIds_AreLeftOut()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1), TestData.Item("b", 2)]), Ct);

        var items = await ItemStore.GetItemsAsync(collection.Name, ["missing", "b", "also-missing"], Ct);

        Assert.Equal("b", Assert.Single(items).Id);
        Assert.Empty(await ItemStore.GetItemsAsync(collection.Name, [], Ct));
    }

    [StoreFact]
    public async Task CountItems_AfterUpsertsAndDeletes_CountsLiveItems()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(
            collection.Name, WriteBatch.ForUpserts(Enumerable.Range(0, 10).Select(i => TestData.Item($"i{i}", i)).ToList()), Ct);
        await ItemStore.WriteAsync(collection.Name, new WriteBatch([TestData.Item("i0", 50)], ["i1", "i2", "unknown"]), Ct);

        Assert.Equal(8, await ItemStore.CountItemsAsync(collection.Name, Ct));
    }

    // Upsert merge semantics, as ItemWrite documents them.

    [StoreFact]
    public async Task Write_NewItemWithoutPayload_StoresEmptyObject()
    {
        var collection = await NewCollectionAsync();

        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1)]), Ct);

        Assert.Equal("{}", (await GetItemAsync(collection.Name, "a"))!.PayloadJson);
    }

    [StoreFact]
    public async Task Write_UpsertWithoutPayload_KeepsStoredPayload()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1, "{\"k\":\"v\"}")]), Ct);

        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 2)]), Ct);

        var item = await GetItemAsync(collection.Name, "a");
        Assert.Equal("{\"k\":\"v\"}", item!.PayloadJson);
        TestData.AssertSameVectors(TestData.Item("a", 2).Vectors, item.Vectors);
    }

    [StoreFact]
    public async Task Write_UpsertWithPayload_ReplacesPayload()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1, "{\"k\":\"v\",\"x\":1}")]), Ct);

        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1, "{\"k\":\"w\"}")]), Ct);

        Assert.Equal("{\"k\":\"w\"}", (await GetItemAsync(collection.Name, "a"))!.PayloadJson);
    }

    [StoreFact]
    public async Task Write_UpsertOfOneSpace_KeepsOtherSpacesVectors()
    {
        var collection = await NewCollectionAsync();
        var original = TestData.Item("a", 1, withOther: true);
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([original]), Ct);
        var newDense = TestData.Vector(77);

        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", null, (TestData.Dense, newDense))]), Ct);

        var item = await GetItemAsync(collection.Name, "a");
        TestData.AssertSameVectors(
            new Dictionary<string, float[]> { [TestData.Dense] = newDense, [TestData.Sparse] = original.Vectors[TestData.Sparse] },
            item!.Vectors);
    }

    [StoreFact]
    public async Task Write_PayloadOnlyUpsert_KeepsVectorsAndMovesSequence()
    {
        var collection = await NewCollectionAsync();
        var original = TestData.Item("a", 1, withOther: true);
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([original]), Ct);

        var sequence = await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", "{\"p\":1}")]), Ct);

        var item = await GetItemAsync(collection.Name, "a");
        Assert.Equal(("{\"p\":1}", sequence), (item!.PayloadJson, item.Sequence));
        TestData.AssertSameVectors(original.Vectors, item.Vectors);
    }

    [StoreFact]
    public async Task Write_VectorsOnlyUpsert_MovesItemToBatchSequence()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1), TestData.Item("b", 2)]), Ct);

        var sequence = await ItemStore.WriteAsync(
            collection.Name, WriteBatch.ForUpserts([TestData.Item("a", null, (TestData.Sparse, TestData.Vector(3, TestData.SparseDimension)))]), Ct);

        Assert.Equal(sequence, (await GetItemAsync(collection.Name, "a"))!.Sequence);
        var change = Assert.Single(await ReadAllChangesAsync(collection.Name, sequence - 1));
        Assert.Equal(("a", sequence), (change.Id, change.Sequence));
        Assert.Equal(2, change.Item!.Vectors.Count);
    }

    // Multi-vector spaces in the store of record: the definition (kind, MUVERA and pruning settings, pinned encoder
    // state) survives a reopen unchanged, and an item's token matrix, stored row-major as n·d floats, comes back bit
    // for bit whatever its token count, including when an upsert replaces it with one of another length.

    private const string Multi = "tokens";
    private const int Dimension = 6;

    [StoreFact]
    public async Task CreateCollection_MultiVectorSpace_KeepsEverySettingAcrossReopen()
    {
        var collection = await NewMultiVectorCollectionAsync();

        await ReopenAsync();

        var listed = (await CatalogStore.ListCollectionsAsync(Ct)).Single(c => c.Name == collection.Name);
        TestData.AssertSameDefinition(collection, listed);
        var settings = listed.FindSpace(Multi)!.MultiVector!;
        Assert.Equal(SpaceKind.Multi, listed.FindSpace(Multi)!.Kind);
        Assert.Equal(new MuveraEncoder(settings.Muvera).Serialize(), Convert.FromBase64String(settings.EncoderState!));
    }

    [StoreFact]
    public async Task Write_TokenMatrices_ReadBackBitIdenticalAndReplacedWhole()
    {
        var collection = await NewMultiVectorCollectionAsync();
        var three = Tokens(3, seed: 1);
        var seventeen = Tokens(17, seed: 2);
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([Item("a", three), Item("b", seventeen)]), Ct);
        var replacement = Tokens(5, seed: 3);
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([Item("a", replacement)]), Ct);

        await ReopenAsync();

        var items = (await ItemStore.GetItemsAsync(collection.Name, ["a", "b"], Ct)).ToDictionary(i => i.Id);
        TestData.AssertSameVectors(new Dictionary<string, float[]> { [Multi] = replacement }, items["a"].Vectors);
        TestData.AssertSameVectors(new Dictionary<string, float[]> { [Multi] = seventeen }, items["b"].Vectors);
        var feed = await ReadAllChangesAsync(collection.Name, 0);
        Assert.Equal(5 * Dimension, feed.Single(c => c.Id == "a").Item!.Vectors[Multi].Length);
    }

    private async Task<CollectionDefinition> NewMultiVectorCollectionAsync()
    {
        var muvera = MuveraParameters.CompactPreset(Dimension, seed: 42) with { DFinal = 64 };
        var settings = new MultiVectorSettings
        {
            Muvera = muvera,
            Pruning = PruningOptions.KMeans(4, seed: 7),
            QueryCentroids = 3,
            BallCarvingTau = 0.7f,
            MaxTokens = 64,
            Candidates = 50,
            EncoderState = Convert.ToBase64String(new MuveraEncoder(muvera).Serialize()),
        };
        var collection = new CollectionDefinition(
            TestData.NewCollectionName(),
            [
                new SpaceDefinition(TestData.Dense, TestData.DenseDimension, Metric.Cosine, new ModelRef("test-dense", "1")),
                new SpaceDefinition(Multi, Dimension, Metric.InnerProduct, new ModelRef("colbert", "2"), Kind: SpaceKind.Multi, MultiVector: settings),
            ],
            TestData.Dense,
            TestData.CreatedAt,
            TestData.CreatedAt);
        await CatalogStore.CreateCollectionAsync(collection, Ct);
        return collection;
    }

    private static ItemWrite Item(string id, float[] tokens) => new(id, null, new Dictionary<string, float[]> { [Multi] = tokens });

    /// <summary>n token vectors of <see cref="Dimension"/> components, row-major, with a −0 and a subnormal among them.</summary>
    private static float[] Tokens(int count, int seed)
    {
        var values = TestData.Vector(seed, count * Dimension);
        values[0] = -0f;
        values[^1] = float.Epsilon;
        return values;
    }
}
