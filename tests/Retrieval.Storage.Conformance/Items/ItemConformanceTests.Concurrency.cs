using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

public abstract partial class ItemConformanceTests<TFixture>
    where TFixture : class, IStoreFixture
{
    // The store is safe to call concurrently (writes of one collection are serialized by the engine).

    [StoreFact]
    public async Task Write_ConcurrentWritersToDifferentCollections_CommitsEveryBatchInOrder()
    {
        const int Writers = 4;
        const int Batches = 15;
        const int ItemsPerBatch = 20;
        var collections = new List<string>();
        for (var i = 0; i < Writers; i++)
        {
            collections.Add((await NewCollectionAsync()).Name);
        }

        var sequences = await Task.WhenAll(collections.Select(name => Task.Run(async () =>
        {
            var assigned = new List<long>();
            for (var b = 0; b < Batches; b++)
            {
                var items = Enumerable.Range(0, ItemsPerBatch).Select(i => TestData.Item($"b{b}-i{i}", i)).ToList();
                assigned.Add(await ItemStore.WriteAsync(name, WriteBatch.ForUpserts(items), Ct));
            }

            return assigned;
        })));

        Assert.All(sequences, assigned => Assert.Equal(Enumerable.Range(1, Batches).Select(i => (long)i), assigned));
        foreach (var name in collections)
        {
            Assert.Equal(Batches * ItemsPerBatch, await ItemStore.CountItemsAsync(name, Ct));
        }
    }

    [StoreFact]
    public async Task ReadAndWrite_Concurrently_ReadersSeeCommittedBatchesOnly()
    {
        var collection = (await NewCollectionAsync()).Name;
        var writer = Task.Run(async () =>
        {
            for (var b = 0; b < 20; b++)
            {
                var items = Enumerable.Range(0, 50).Select(i => TestData.Item($"b{b}-i{i}", i)).ToList();
                await ItemStore.WriteAsync(collection, WriteBatch.ForUpserts(items), Ct);
            }
        });

        while (!writer.IsCompleted)
        {
            // Every batch is 50 new items: a reader must never see part of one.
            Assert.Equal(0, await ItemStore.CountItemsAsync(collection, Ct) % 50);
            Assert.Equal(0, (await ReadAllChangesAsync(collection, 0)).Count % 50);
        }

        await writer;
        Assert.Equal(1000, await ItemStore.CountItemsAsync(collection, Ct));
    }
}
