using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>Upsert merge semantics, as <see cref="ItemWrite"/> documents them.</summary>
public abstract class MergeConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    [StoreFact]
    public async Task Write_NewItemWithoutPayload_StoresEmptyObject()
    {
        var collection = await NewCollectionAsync();

        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1)]), Ct);

        Assert.Equal("{}", (await GetItemAsync(collection.Name, "a"))!.PayloadJson);
    }

    [StoreFact]
    public async Task Write_UpsertWithoutPayload_KeepsStoredPayload()
    {
        var collection = await NewCollectionAsync();
        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1, "{\"k\":\"v\"}")]), Ct);

        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 2)]), Ct);

        var item = await GetItemAsync(collection.Name, "a");
        Assert.Equal("{\"k\":\"v\"}", item!.PayloadJson);
        TestData.AssertSameVectors(TestData.Item("a", 2).Vectors, item.Vectors);
    }

    [StoreFact]
    public async Task Write_UpsertWithPayload_ReplacesPayload()
    {
        var collection = await NewCollectionAsync();
        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1, "{\"k\":\"v\",\"x\":1}")]), Ct);

        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1, "{\"k\":\"w\"}")]), Ct);

        Assert.Equal("{\"k\":\"w\"}", (await GetItemAsync(collection.Name, "a"))!.PayloadJson);
    }

    [StoreFact]
    public async Task Write_UpsertOfOneSpace_KeepsOtherSpacesVectors()
    {
        var collection = await NewCollectionAsync();
        var original = TestData.Item("a", 1, withOther: true);
        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([original]), Ct);
        var newDense = TestData.Vector(77);

        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", null, (TestData.Dense, newDense))]), Ct);

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
        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([original]), Ct);

        var sequence = await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", "{\"p\":1}")]), Ct);

        var item = await GetItemAsync(collection.Name, "a");
        Assert.Equal(("{\"p\":1}", sequence), (item!.PayloadJson, item.Sequence));
        TestData.AssertSameVectors(original.Vectors, item.Vectors);
    }

    [StoreFact]
    public async Task Write_VectorsOnlyUpsert_MovesItemToBatchSequence()
    {
        var collection = await NewCollectionAsync();
        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([TestData.Item("a", 1), TestData.Item("b", 2)]), Ct);

        var sequence = await Store.WriteAsync(
            collection.Name, WriteBatch.ForUpserts([TestData.Item("a", null, (TestData.Sparse, TestData.Vector(3, TestData.SparseDimension)))]), Ct);

        Assert.Equal(sequence, (await GetItemAsync(collection.Name, "a"))!.Sequence);
        var change = Assert.Single(await ReadAllChangesAsync(collection.Name, sequence - 1));
        Assert.Equal(("a", sequence), (change.Id, change.Sequence));
        Assert.Equal(2, change.Item!.Vectors.Count);
    }
}
