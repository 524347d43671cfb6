using System.Net;
using System.Text.Json;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Reliability;

/// <summary>
/// The vector memory budget end to end on a real server (SQLite): fill to it, see RESOURCE_EXHAUSTED naming the budget
/// over gRPC and HTTP 429 over REST, find nothing of the refused writes (live and after a restart), delete, and write
/// again. GetCollection reports the memory per space on both transports.
/// </summary>
public sealed class MemoryBudgetTests
{
    private const string Collection = "budget";
    private const int Dimension = 8;
    private const int BudgetVectors = 20;
    private const long RowBytes = Dimension * sizeof(float);

    [Fact]
    public async Task FillToTheBudget_RefusesTheNextWriteChangingNothing_DeleteFreesIt()
    {
        var configuration = new ServerConfiguration("sqlite", null);
        configuration.Extra["Retrieval:Limits:MaxVectorMemoryBytes"] = (BudgetVectors * RowBytes).ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            await using (var server = await InProcessServer.StartAsync(configuration))
            {
                await server.Collections.CreateCollectionAsync(new CreateCollectionRequest
                {
                    Name = Collection,
                    Spaces = { new Space { Name = "v1", Dimension = Dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" } } },
                });
                for (var batch = 0; batch < BudgetVectors / 5; batch++)
                {
                    await server.Items.UpsertItemsAsync(Upsert(batch * 5, 5));
                }

                var memory = (await server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = Collection })).SpaceMemory.Single();
                Assert.Equal(("v1", BudgetVectors, BudgetVectors * RowBytes, 0L, 0L, BudgetVectors * RowBytes),
                    (memory.Space, memory.Vectors, memory.VectorBytes, memory.IndexBytes, memory.TokenBytes, memory.TotalBytes));
                using (var rest = await server.Rest.GetAsync(new Uri($"/v1/collections/{Collection}", UriKind.Relative)))
                {
                    using var json = JsonDocument.Parse(await rest.Content.ReadAsStringAsync());
                    var space = json.RootElement.GetProperty("spaceMemory")[0];
                    Assert.Equal("v1", space.GetProperty("space").GetString());
                    Assert.Equal(BudgetVectors * RowBytes, space.GetProperty("totalBytes").GetInt64());
                }

                var refused = await Assert.ThrowsAsync<RpcException>(() => server.Items.UpsertItemsAsync(Upsert(BudgetVectors, 1)).ResponseAsync);
                Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
                Assert.Contains("Retrieval:Limits:MaxVectorMemoryBytes", refused.Status.Detail, StringComparison.Ordinal);
                Assert.Contains($"hold {BudgetVectors * RowBytes} of the {BudgetVectors * RowBytes} bytes", refused.Status.Detail, StringComparison.Ordinal);
                using (var rest = await server.PostJsonAsync($"/v1/collections/{Collection}/items:upsert",
                    """{"items":[{"id":"over-rest","vectors":{"v1":{"values":[1,0,0,0,0,0,0,0]}}}]}"""))
                {
                    Assert.Equal(HttpStatusCode.TooManyRequests, rest.StatusCode);
                    Assert.Contains("Retrieval:Limits:MaxVectorMemoryBytes", await rest.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                }

                await AssertHoldsOnlyTheAdmittedAsync(server, BudgetVectors);

                // The same figures on /metrics, read at scrape time, so an operator sees the budget approach.
                var metrics = "\n" + await server.Rest.GetStringAsync(new Uri("/metrics", UriKind.Relative));
                Assert.Contains($"\nretrieval_vector_memory_bytes{{collection=\"{Collection}\"}} {BudgetVectors * RowBytes}", metrics, StringComparison.Ordinal);
                // One unlabelled series per process: in-process servers of other tests may report theirs instead.
                Assert.Contains("\nretrieval_vector_memory_budget_bytes ", metrics, StringComparison.Ordinal);
            }

            // Nothing of the refused writes reached the store.
            await using (var server = await InProcessServer.StartAsync(configuration))
            {
                await AssertHoldsOnlyTheAdmittedAsync(server, BudgetVectors);
                await server.Items.DeleteItemsAsync(new DeleteItemsRequest { Collection = Collection, Ids = { "i0", "i1" } });
                await server.Items.UpsertItemsAsync(Upsert(BudgetVectors, 2));

                var collection = await server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = Collection });
                Assert.Equal(BudgetVectors, collection.ItemCount);
                Assert.Equal(BudgetVectors * RowBytes, collection.SpaceMemory.Single().TotalBytes);
                await Assert.ThrowsAsync<RpcException>(() => server.Items.UpsertItemsAsync(Upsert(BudgetVectors + 2, 1)).ResponseAsync);
            }
        }
        finally
        {
            if (Directory.Exists(configuration.DataDirectory))
            {
                Directory.Delete(configuration.DataDirectory, recursive: true);
            }
        }
    }

    private static async Task AssertHoldsOnlyTheAdmittedAsync(InProcessServer server, int admitted)
    {
        var collection = await server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = Collection });
        Assert.Equal(admitted, collection.ItemCount);
        var got = await server.Items.GetItemsAsync(new GetItemsRequest { Collection = Collection, Ids = { $"i{admitted}", "over-rest" } });
        Assert.Empty(got.Items);
    }

    private static UpsertItemsRequest Upsert(int first, int count)
    {
        var request = new UpsertItemsRequest { Collection = Collection };
        for (var i = first; i < first + count; i++)
        {
            var vector = new Vector();
            vector.Values.Add(Enumerable.Range(0, Dimension).Select(d => d == 0 ? i + 1f : 0f));
            request.Items.Add(new Item { Id = $"i{i}", Vectors = { ["v1"] = vector } });
        }

        return request;
    }
}
