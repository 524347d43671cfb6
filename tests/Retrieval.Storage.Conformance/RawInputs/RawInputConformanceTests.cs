using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// The raw-input role (<see cref="IRawInputStore"/>): inputs kept next to the vectors they were encoded into, as
/// <see cref="ItemWrite.RawInputs"/> documents them.
/// </summary>
public abstract class RawInputConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    private static readonly RawInput Text = RawInput.FromText("a red shoe — size 42");
    private static readonly RawInput Image = RawInput.FromImage([0x89, 0x50, 0x4E, 0x47, 0, 1, 2, 255]);
    private static readonly RawInput Tensor = RawInput.FromTensor([2, 2], [1f, -0f, float.Epsilon, 3.5f]);

    [StoreFact]
    public async Task GetRawInputs_AfterWriteAndReopen_ReturnsEveryKindByteForByte()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts(
        [
            WithInputs("a", (TestData.Dense, Text), (TestData.Sparse, Tensor)),
            WithInputs("b", (TestData.Dense, Image)),
        ]), Ct);

        await ReopenAsync();

        var all = await RawInputStore.GetRawInputsAsync(collection.Name, ["a", "b", "missing"], null, Ct);
        Assert.Equal(
            [("a", TestData.Dense, Text), ("a", TestData.Sparse, Tensor), ("b", TestData.Dense, Image)],
            all.Select(r => (r.ItemId, r.Space, r.Input)).OrderBy(r => r.ItemId, StringComparer.Ordinal).ThenBy(r => r.Space, StringComparer.Ordinal));
        var dense = await RawInputStore.GetRawInputsAsync(collection.Name, ["a", "b"], TestData.Dense, Ct);
        Assert.Equal(2, dense.Count);
        Assert.All(dense, r => Assert.Equal(TestData.Dense, r.Space));
        Assert.Equal("a red shoe — size 42", all.Single(r => r.ItemId == "a" && r.Space == TestData.Dense).Input.Text);
        var (shape, values) = all.Single(r => r.Space == TestData.Sparse).Input.ReadTensor();
        Assert.Equal([2, 2], shape);
        Assert.Equal([1f, -0f, float.Epsilon, 3.5f], values);
    }

    [StoreFact]
    public async Task Write_NewInput_ReplacesStoredInput()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([WithInputs("a", (TestData.Dense, Text))]), Ct);

        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([WithInputs("a", (TestData.Dense, Image))]), Ct);

        Assert.Equal(Image, (await RawInputStore.GetRawInputsAsync(collection.Name, ["a"], null, Ct)).Single().Input);
    }

    [StoreFact]
    public async Task Write_PlainVectorForSpace_DropsThatSpacesStaleInputOnly()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([WithInputs("a", (TestData.Dense, Text), (TestData.Sparse, Tensor))]), Ct);

        // A vector sent for the dense space no longer comes from the stored text.
        var plain = TestData.Item("a", null, (TestData.Dense, TestData.Vector(5)));
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([plain with { RawInputs = new Dictionary<string, RawInput>() }]), Ct);

        var left = await RawInputStore.GetRawInputsAsync(collection.Name, ["a"], null, Ct);
        Assert.Equal(TestData.Sparse, Assert.Single(left).Space);
    }

    [StoreFact]
    public async Task Write_WithoutRawInputs_LeavesStoredInputsAlone()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([WithInputs("a", (TestData.Dense, Text))]), Ct);

        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 3, "{\"k\":1}")]), Ct);

        Assert.Single(await RawInputStore.GetRawInputsAsync(collection.Name, ["a"], null, Ct));
    }

    [StoreFact]
    public async Task Delete_Item_RemovesItsInputs()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([WithInputs("a", (TestData.Dense, Text)), WithInputs("b", (TestData.Dense, Image))]), Ct);

        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForDeletes(["a"]), Ct);

        Assert.Equal(["b"], (await RawInputStore.GetRawInputsAsync(collection.Name, ["a", "b"], null, Ct)).Select(r => r.ItemId));
    }

    [StoreFact]
    public async Task UpdateCollection_RemovedSpace_RemovesItsInputs()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([WithInputs("a", (TestData.Dense, Text), (TestData.Sparse, Tensor))]), Ct);

        var without = collection with { Spaces = collection.Spaces.Where(s => s.Name != TestData.Sparse).ToList(), Version = 1 };
        await CatalogStore.UpdateCollectionAsync(without, TestData.Sparse, Ct);

        Assert.Equal(TestData.Dense, Assert.Single(await RawInputStore.GetRawInputsAsync(collection.Name, ["a"], null, Ct)).Space);
    }

    [StoreFact]
    public async Task DeleteCollection_RecreatedUnderSameName_HasNoInputs()
    {
        var collection = await NewCollectionAsync();
        await ItemStore.WriteAsync(collection.Name, WriteBatch.ForUpserts([WithInputs("a", (TestData.Dense, Text))]), Ct);

        await CatalogStore.DeleteCollectionAsync(collection.Name, Ct);
        await CatalogStore.CreateCollectionAsync(collection, Ct);

        Assert.Empty(await RawInputStore.GetRawInputsAsync(collection.Name, ["a"], null, Ct));
    }

    [StoreFact]
    public async Task GetRawInputs_UnknownCollection_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<Core.Errors.RetrievalException>(
            () => RawInputStore.GetRawInputsAsync(TestData.NewCollectionName(), ["a"], null, Ct));
        Assert.Equal(Core.Errors.ErrorKind.NotFound, error.Kind);
    }

    [StoreFact]
    public async Task Collection_StoreInputsFlagAndSpaceEncoder_SurviveReopen()
    {
        var collection = TestData.Collection(TestData.NewCollectionName()) with { StoreInputs = true };
        collection = collection with
        {
            Spaces = [collection.Spaces[0] with { Encoder = new EncoderRef("minilm", "l6-v2", new string('a', 64)) }, collection.Spaces[1]],
        };
        await CatalogStore.CreateCollectionAsync(collection, Ct);

        await ReopenAsync();

        var stored = (await CatalogStore.ListCollectionsAsync(Ct)).Single(c => c.Name == collection.Name);
        Assert.True(stored.StoreInputs);
        Assert.Equal(collection.Spaces, stored.Spaces);
    }

    private static ItemWrite WithInputs(string id, params (string Space, RawInput Input)[] inputs)
    {
        var vectors = inputs.ToDictionary(i => i.Space, i => TestData.Vector(id.GetHashCode(StringComparison.Ordinal), i.Space == TestData.Dense ? TestData.DenseDimension : TestData.SparseDimension));
        return new ItemWrite(id, null, vectors, inputs.ToDictionary(i => i.Space, i => i.Input));
    }
}
