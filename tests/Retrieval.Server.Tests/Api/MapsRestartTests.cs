using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>Maps are part of the store of record: after a restart the active map still routes new-space queries.</summary>
public sealed class MapsRestartTests : IAsyncLifetime
{
    private const int Dimension = 8;
    private readonly ServerConfiguration _configuration = new("sqlite", null);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_configuration.DataDirectory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ActiveMap_AfterRestart_StillRoutesAndKeepsItsState()
    {
        var rotation = SyntheticSpaces.Orthogonal(Dimension, seed: 21);
        var query = Vectors.Random(1, Dimension, seed: 22)[0];
        string mapId;
        SearchResponse before;
        await using (var server = await InProcessServer.StartAsync(_configuration))
        {
            await server.Collections.CreateCollectionAsync(new CreateCollectionRequest
            {
                Name = "restart",
                Spaces =
                {
                    new Space { Name = "old", Dimension = Dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" } },
                    new Space { Name = "new", Dimension = Dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "2" } },
                },
            });
            var request = new UpsertItemsRequest { Collection = "restart" };
            foreach (var (x, i) in Vectors.Random(100, Dimension, seed: 23).Select((x, i) => (x, i)))
            {
                request.Items.Add(new Item
                {
                    Id = $"i{i}",
                    Vectors =
                    {
                        ["new"] = new Vector { Values = { x } },
                        ["old"] = new Vector { Values = { SyntheticSpaces.Multiply(x, rotation) } },
                    },
                });
            }

            await server.Items.UpsertItemsAsync(request);
            var fitted = await server.Maps.FitMapAsync(new FitMapRequest { Collection = "restart", FromSpace = "new", ToSpace = "old", Kind = MapKind.Orthogonal });
            mapId = fitted.Map.Id;
            await server.Maps.ActivateMapAsync(new ActivateMapRequest { Collection = "restart", Id = mapId });
            before = await server.Search.SearchAsync(Routed(query));
        }

        _configuration.RenewPorts();
        await using var restarted = await InProcessServer.StartAsync(_configuration);
        var map = await restarted.Maps.GetMapAsync(new GetMapRequest { Collection = "restart", Id = mapId });
        Assert.Equal(MapState.Active, map.State);
        var after = await restarted.Search.SearchAsync(Routed(query));
        Assert.Equal([mapId], after.MapsUsed);
        Assert.Equal(before.Hits.Select(h => (h.Id, h.Score)), after.Hits.Select(h => (h.Id, h.Score)));
    }

    private static SearchRequest Routed(float[] query) => new()
    {
        Collection = "restart",
        Space = "new",
        TargetSpace = "old",
        Vector = new Vector { Values = { query } },
        K = 5,
    };
}
