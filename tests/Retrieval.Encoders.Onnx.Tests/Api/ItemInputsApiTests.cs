using System.Text.Json;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Storage.Postgres;
using Retrieval.Testing;
using Retrieval.Testing.Onnx;
using Retrieval.Testing.Server;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>GetItems and ScrollItems with <c>with_inputs</c> give back the raw inputs stored with the items, on both stores; FAILED_PRECONDITION where none are kept.</summary>
public sealed class ItemInputsApiTests
{
    private static readonly TinyTextModel Text = new();
    private static readonly TensorMlp Mlp = new();

    [SkippableTheory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task GetItemsAndScroll_WithInputs_ReturnTheStoredInputsAsSent(string store)
    {
        Skip.If(store == "postgres" && PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        await using var database = store == "postgres" ? await TestDatabase.CreateAsync(CancellationToken.None) : null;
        if (database is not null)
        {
            await PostgresSchema.UpgradeAsync(database.ConnectionString, CancellationToken.None);
        }

        await using var server = await InProcessServer.StartAsync(new ServerConfiguration(store, database?.ConnectionString));
        await EncoderServerFixture.RegisterAsync(server.Encoders, Descriptors.Text("inputs-text"), Text.Model(), TinyTextModel.VocabularyBytes);
        await EncoderServerFixture.RegisterAsync(server.Encoders, Descriptors.Mlp("inputs-mlp"), Mlp.Model());
        await server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = "kept",
            StoreInputs = true,
            Spaces =
            {
                new Space { Name = "t", Dimension = TinyTextModel.Dim, Metric = Metric.Cosine, Model = new ModelRef { Name = "t" }, Encoder = new EncoderRef { Name = "inputs-text" } },
                new Space { Name = "m", Dimension = TensorMlp.Out, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m" }, Encoder = new EncoderRef { Name = "inputs-mlp" } },
            },
        });
        var tensor = new EncoderInput { Tensor = new TensorValue { Shape = { TensorMlp.In }, Values = { Enumerable.Range(0, TensorMlp.In).Select(i => (i * 0.25f) - 0.5f) } } };
        await server.Items.UpsertItemsAsync(new UpsertItemsRequest
        {
            Collection = "kept",
            Items =
            {
                new Item { Id = "both", Inputs = { ["t"] = new EncoderInput { Text = "a red car" }, ["m"] = tensor } },
                new Item { Id = "text", Inputs = { ["t"] = new EncoderInput { Text = "the dog sat" } } },
                new Item { Id = "vector", Vectors = { ["t"] = new Vector { Values = { 1, 0, 0, 0, 0, 0 } } } },
            },
        });

        var got = await server.Items.GetItemsAsync(new GetItemsRequest { Collection = "kept", Ids = { "text", "both", "vector", "missing" }, WithInputs = true });

        Assert.Equal(["text", "both", "vector"], got.Items.Select(i => i.Id));
        Assert.Equal("the dog sat", Assert.Single(got.Items[0].Inputs).Value.Text);
        Assert.Equal("a red car", got.Items[1].Inputs["t"].Text);
        Assert.Equal(tensor, got.Items[1].Inputs["m"]);
        Assert.Empty(got.Items[2].Inputs);
        Assert.Empty(got.Items[1].Vectors);
        Assert.Empty((await server.Items.GetItemsAsync(new GetItemsRequest { Collection = "kept", Ids = { "both" } })).Items[0].Inputs);

        var scrolled = await server.Items.ScrollItemsAsync(new ScrollItemsRequest { Collection = "kept", WithInputs = true, WithVectors = true });
        Assert.Equal("a red car", scrolled.Items.Single(i => i.Id == "both").Inputs["t"].Text);
        Assert.Equal(2, scrolled.Items.Single(i => i.Id == "both").Vectors.Count);

        using var rest = await server.PostJsonAsync("/v1/collections/kept/items:get", """{"ids":["text"],"withInputs":true}""");
        var body = await rest.Content.ReadAsStringAsync();
        Assert.True(rest.IsSuccessStatusCode, body);
        Assert.Equal("the dog sat", JsonDocument.Parse(body).RootElement.GetProperty("items")[0].GetProperty("inputs").GetProperty("t").GetProperty("text").GetString());

        // A collection that keeps no inputs says so rather than answering as if its inputs were lost.
        await server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = "plain",
            Spaces = { new Space { Name = "v", Dimension = 2, Metric = Metric.L2, Model = new ModelRef { Name = "m" } } },
        });
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Items.GetItemsAsync(new GetItemsRequest { Collection = "plain", Ids = { "a" }, WithInputs = true }));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("storeInputs", error.Status.Detail, StringComparison.Ordinal);
    }
}
