using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>What a store acknowledged is there after it is closed and opened again, bit for bit.</summary>
public abstract class DurabilityConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    [StoreFact]
    public async Task Reopen_AfterAcknowledgedWrites_KeepsEverythingBitIdentical()
    {
        var collection = await NewCollectionAsync();
        var updated = collection with { DefaultSpace = TestData.Sparse, UpdatedAt = collection.UpdatedAt.AddMinutes(3) };
        await Store.UpdateCollectionAsync(updated, null, Ct);

        // Values a lossy encoding would change: NaN payload bits, negative zero, subnormals, infinities.
        float[] special =
        [
            BitConverter.Int32BitsToSingle(0x7FC0_1234), -0f, float.Epsilon, float.MaxValue,
            float.NegativeInfinity, float.PositiveInfinity, BitConverter.Int32BitsToSingle(unchecked((int)0xFFFF_FFFF)), 1e-40f,
        ];
        await Store.WriteAsync(
            collection.Name,
            WriteBatch.ForUpserts(
            [
                TestData.Item("special", "{\"ü\":\"ß\"}", (TestData.Dense, special)),
                .. Enumerable.Range(0, 200).Select(i => TestData.Item($"i{i}", i, i % 2 == 0 ? "{\"even\":true}" : null, withOther: i % 5 == 0)),
            ]),
            Ct);
        await Store.WriteAsync(collection.Name, new WriteBatch([TestData.Item("i1", 1000)], ["i2", "i3"]), Ct);
        var lastSequence = await Store.WriteAsync(collection.Name, WriteBatch.ForDeletes(["i4"]), Ct);
        var before = await ReadAllChangesAsync(collection.Name, 0);

        await ReopenAsync();

        TestData.AssertSameDefinition(updated, (await Store.ListCollectionsAsync(Ct)).Single(c => c.Name == collection.Name));
        Assert.Equal(lastSequence, await Store.GetLastSequenceAsync(collection.Name, Ct));
        Assert.Equal(198, await Store.CountItemsAsync(collection.Name, Ct));
        var after = await ReadAllChangesAsync(collection.Name, 0);
        TestData.AssertSameChanges(before, after);
        TestData.AssertSameVectors(
            new Dictionary<string, float[]> { [TestData.Dense] = special },
            after.Single(c => c.Id == "special").Item!.Vectors);
        Assert.Equal(lastSequence + 1, await Store.WriteAsync(collection.Name, WriteBatch.ForDeletes(["i5"]), Ct));
    }
}
