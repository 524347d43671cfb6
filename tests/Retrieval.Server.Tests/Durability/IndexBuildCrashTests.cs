using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Durability;

/// <summary>
/// SIGKILL while the optimizer builds an index (and possibly writes a snapshot), then restart: every acknowledged
/// item is back, searches answer, and the index is built again (a half-written snapshot is never loaded).
/// </summary>
public sealed class IndexBuildCrashTests
{
    private const int Dimension = 32;
    private const int Items = 6000;

    [Fact]
    public async Task Kill_DuringBuild_RestartsWithEveryItemAndRebuilds()
    {
        var configuration = new ServerConfiguration("sqlite", null);
        configuration.Extra["Retrieval:Indexing:SealThreshold"] = "2000";
        configuration.Extra["Retrieval:Indexing:BuildThreads"] = "1";
        // A slow graph build keeps the build window wide enough to kill inside it.
        configuration.Extra["Retrieval:Indexing:HnswEfConstruction"] = "400";
        var vectors = Vectors.Random(Items, Dimension, seed: 77);
        var sawBuild = false;

        await using (var server = await ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60)))
        {
            await server.Collections.CreateCollectionAsync(new CreateCollectionRequest
            {
                Name = "crash-index",
                Spaces = { new Space { Name = "v1", Dimension = Dimension, Metric = Metric.L2, Model = new ModelRef { Name = "m" }, Index = "HNSW32" } },
            });
            for (var start = 0; start < Items; start += 500)
            {
                var request = new UpsertItemsRequest { Collection = "crash-index" };
                for (var i = start; i < start + 500; i++)
                {
                    request.Items.Add(new Item { Id = $"i{i}", Vectors = { ["v1"] = new Vector { Values = { vectors[i] } } } });
                }

                await server.Items.UpsertItemsAsync(request);
            }

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline && !sawBuild)
            {
                var status = await server.Collections.GetSpaceIndexStatusAsync(new GetSpaceIndexStatusRequest { Collection = "crash-index", Space = "v1" });
                sawBuild = status.Build is not null;
                if (!sawBuild)
                {
                    await Task.Delay(10);
                }
            }

            await server.KillAsync();
        }

        Assert.True(sawBuild, "no build was observed: the kill did not land inside one");
        configuration.RenewPorts();
        await using var restarted = await ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60));
        var collection = await restarted.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "crash-index" });
        Assert.Equal(Items, collection.ItemCount);
        Assert.Equal("HNSW32", collection.Spaces[0].Index);
        var hit = await restarted.Search.SearchAsync(new SearchRequest { Collection = "crash-index", Vector = new Vector { Values = { vectors[1234] } }, K = 1 });
        Assert.Equal("i1234", hit.Hits[0].Id);

        var rebuilt = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            var status = await restarted.Collections.GetSpaceIndexStatusAsync(new GetSpaceIndexStatusRequest { Collection = "crash-index", Space = "v1" });
            if (status.IndexedVectors == Items)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < rebuilt, $"not rebuilt after the restart: {status}");
            await Task.Delay(200);
        }

        var again = await restarted.Search.SearchAsync(new SearchRequest { Collection = "crash-index", Vector = new Vector { Values = { vectors[4321] } }, K = 1 });
        Assert.Equal("i4321", again.Hits[0].Id);
    }
}
