using Retrieval.Contracts.V1;

using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Infrastructure;

/// <summary>Shortcuts for arranging collections and items through the real gRPC API.</summary>
internal static class TestCollections
{
    public static async Task<string> CreateAsync(InProcessServer server, string prefix, int dimension = 4, Metric metric = Metric.InnerProduct, bool exactName = false)
    {
        var name = exactName ? prefix : TestNames.Unique(prefix);
        await server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = name,
            Spaces = { new Space { Name = "v1", Dimension = dimension, Metric = metric, Model = new ModelRef { Name = "test", Version = "1" } } },
        });
        return name;
    }

    public static async Task<UpsertItemsResponse> UpsertAsync(InProcessServer server, string collection, string space, IEnumerable<(string Id, float[] Vector)> items, Func<string, string?>? payload = null)
    {
        var request = new UpsertItemsRequest { Collection = collection };
        foreach (var (id, vector) in items)
        {
            var item = new Item { Id = id };
            item.Vectors.Add(space, new Vector { Values = { vector } });
            if (payload?.Invoke(id) is { } json)
            {
                item.Payload = Google.Protobuf.WellKnownTypes.Struct.Parser.ParseJson(json);
            }

            request.Items.Add(item);
        }

        return await server.Items.UpsertItemsAsync(request);
    }
}
