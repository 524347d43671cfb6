using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.Tokenizers;
using Retrieval.Contracts.V1;
using Retrieval.Engine;
using Retrieval.Testing.Onnx;
using Retrieval.Testing.Server;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>
/// Spaces bound to encoders, through the real API: upsert and search with raw inputs, raw inputs kept in the store
/// of record for a later re-encode (and the engine calls a migration uses), pinning, and all of it across a restart.
/// </summary>
public sealed class RawInputApiTests
{
    private static readonly TinyTextModel Model = new();
    private static readonly BertTokenizer Tokenizer = BertTokenizer.Create(new MemoryStream(TinyTextModel.VocabularyBytes));
    private static readonly string[] Texts = ["the cat sat on the mat", "a dog", "birds flew over the house .", "red cars run fast"];

    [Fact]
    public async Task TextInputs_UpsertSearchStoreAndPin_SurviveRestart()
    {
        var configuration = new ServerConfiguration("sqlite", null);
        await using (var server = await InProcessServer.StartAsync(configuration))
        {
            await EncoderServerFixture.RegisterAsync(server.Encoders, Descriptors.Text("docs-text", queryPrefix: "query : "), Model.Model(), TinyTextModel.VocabularyBytes);
            using var created = await server.PostJsonAsync("/v1/collections", """
                {"name":"docs","storeInputs":true,"spaces":[{"name":"t","dimension":6,"metric":"METRIC_COSINE",
                 "model":{"name":"tiny","version":"1"},"encoder":{"name":"docs-text"}}]}
                """);
            var collection = await ReadJsonAsync(created);
            Assert.True(collection.GetProperty("storeInputs").GetBoolean());
            var encoder = collection.GetProperty("spaces")[0].GetProperty("encoder");
            Assert.Equal("1", encoder.GetProperty("version").GetString());
            Assert.Equal(64, encoder.GetProperty("modelSha256").GetString()!.Length);

            var items = string.Join(',', Texts.Select((t, i) => "{\"id\":\"doc-" + i + "\",\"payload\":{\"n\":" + i + "},\"inputs\":{\"t\":{\"text\":\"" + t + "\"}}}"));
            using (var upsert = await server.PostJsonAsync("/v1/collections/docs/items:upsert", $$"""{"items":[{{items}}]}"""))
            {
                Assert.Equal(4, (await ReadJsonAsync(upsert)).GetProperty("upserted").GetInt32());
            }

            // Gallery texts are encoded as documents: no query prefix.
            var stored = await server.Items.GetItemsAsync(new GetItemsRequest { Collection = "docs", Ids = { Ids() }, WithVectors = true });
            for (var i = 0; i < Texts.Length; i++)
            {
                VectorAssert.Close(Model.Expected(Tokenizer.EncodeToIds(Texts[i])), stored.Items[i].Vectors["t"].Values.ToArray());
            }

            await AssertSearchWithInputEqualsVectorSearchAsync(server);

            // What a model-upgrade migration uses: the stored inputs, and the space's encoder.
            var engine = server.Services.GetRequiredService<RetrievalEngine>();
            var inputs = await engine.ReadRawInputsAsync("docs", "t", Ids(), CancellationToken.None);
            Assert.Equal(Texts, Ids().Select(id => inputs[id].Text));
            var reencoded = await engine.EncodeAsync("docs", "t", Ids().Select(id => inputs[id]).ToList(), CancellationToken.None);
            for (var i = 0; i < Texts.Length; i++)
            {
                VectorAssert.Close(stored.Items[i].Vectors["t"].Values.ToArray(), reencoded[i], 1e-6f);
            }

            // A plain vector replaces the stored input of that item's space: it no longer came from that text.
            await server.Items.UpsertItemsAsync(new UpsertItemsRequest
            {
                Collection = "docs",
                Items = { new Item { Id = "doc-1", Vectors = { ["t"] = new Vector { Values = { 1, 0, 0, 0, 0, 0 } } } } },
            });
            Assert.False((await engine.ReadRawInputsAsync("docs", "t", Ids(), CancellationToken.None)).ContainsKey("doc-1"));

            var pinned = await Assert.ThrowsAsync<RpcException>(async () =>
                await server.Encoders.DeleteEncoderAsync(new DeleteEncoderRequest { Name = "docs-text", Version = "1" }));
            Assert.Equal(StatusCode.FailedPrecondition, pinned.StatusCode);
            Assert.Contains("docs/t", pinned.Status.Detail, StringComparison.Ordinal);
        }

        configuration.RenewPorts();
        await using (var server = await InProcessServer.StartAsync(configuration))
        {
            await AssertSearchWithInputEqualsVectorSearchAsync(server);
            var engine = server.Services.GetRequiredService<RetrievalEngine>();
            Assert.Equal(3, (await engine.ReadRawInputsAsync("docs", "t", Ids(), CancellationToken.None)).Count);

            // Unpinned once no space names it.
            await server.Collections.DeleteCollectionAsync(new DeleteCollectionRequest { Name = "docs" });
            await server.Encoders.DeleteEncoderAsync(new DeleteEncoderRequest { Name = "docs-text", Version = "1" });
        }
    }

    [Fact]
    public async Task ImageInputs_UpsertAndSearch_UseTheSpacesImageEncoder()
    {
        await using var server = await InProcessServer.StartAsync(new ServerConfiguration("sqlite", null));
        await server.Encoders.UploadEncoderAsync(new UploadEncoderRequest
        {
            Descriptor_ = new EncoderDescriptor
            {
                Name = "means",
                Version = "1",
                Dimension = TinyImageModel.Dim,
                Metric = Metric.Cosine,
                InputKind = InputKind.Image,
                InputName = "pixels",
                OutputName = "means",
                Image = new ImageSettings { Width = TinyImageModel.Size, Height = TinyImageModel.Size, ResizeShorterSide = 0 },
            },
            Model = ByteString.CopyFrom(TinyImageModel.Model()),
        });
        await server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = "pictures",
            Spaces = { new Space { Name = "img", Dimension = TinyImageModel.Dim, Metric = Metric.Cosine, Model = new ModelRef { Name = "means" }, Encoder = new EncoderRef { Name = "means", Version = "1" } } },
        });
        byte[][] images = [TestImages.Disc(), TestImages.Stripes(), TestImages.Disc(shift: 6, format: SkiaSharp.SKEncodedImageFormat.Jpeg)];
        var upsert = new UpsertItemsRequest { Collection = "pictures" };
        for (var i = 0; i < images.Length; i++)
        {
            upsert.Items.Add(new Item { Id = $"p{i}", Inputs = { ["img"] = new EncoderInput { Image = ByteString.CopyFrom(images[i]) } } });
        }

        await server.Items.UpsertItemsAsync(upsert);

        var direct = await server.Encoders.EncodeAsync(new EncodeRequest { Name = "means", Inputs = { images.Select(b => new EncoderInput { Image = ByteString.CopyFrom(b) }) } });
        var stored = await server.Items.GetItemsAsync(new GetItemsRequest { Collection = "pictures", Ids = { "p0", "p1", "p2" }, WithVectors = true });
        for (var i = 0; i < images.Length; i++)
        {
            // Cosine spaces keep normalized vectors.
            var expected = direct.Embeddings[i].Values.ToArray();
            var norm = System.Numerics.Tensors.TensorPrimitives.Norm(expected);
            VectorAssert.Close(expected.Select(v => v / norm).ToArray(), stored.Items[i].Vectors["img"].Values.ToArray(), 1e-6f);
        }

        var base64 = Convert.ToBase64String(images[0]);
        using var search = await server.PostJsonAsync("/v1/collections/pictures:search", $$"""{"input":{"image":"{{base64}}"},"k":3}""");
        var hits = (await ReadJsonAsync(search)).GetProperty("hits");
        Assert.Equal("p0", hits[0].GetProperty("id").GetString());
        Assert.Equal(1f, hits[0].GetProperty("score").GetSingle(), 5);
    }

    /// <summary>A search with a raw input is the vector search of the encoded query (with the encoder's query prefix).</summary>
    private static async Task AssertSearchWithInputEqualsVectorSearchAsync(InProcessServer server)
    {
        using var response = await server.PostJsonAsync("/v1/collections/docs:search", """{"input":{"text":"the cat sat"},"k":4}""");
        var byInput = (await ReadJsonAsync(response)).GetProperty("hits").EnumerateArray()
            .Select(h => (h.GetProperty("id").GetString(), h.GetProperty("score").GetSingle())).ToList();

        var query = Model.Expected(Tokenizer.EncodeToIds("query : the cat sat"));
        var byVector = await server.Search.SearchAsync(new SearchRequest { Collection = "docs", Vector = new Vector { Values = { query } }, K = 4 });
        Assert.Equal(byVector.Hits.Select(h => h.Id), byInput.Select(h => h.Item1));
        for (var i = 0; i < byInput.Count; i++)
        {
            Assert.Equal(byVector.Hits[i].Score, byInput[i].Item2, 4);
        }
    }

    private static string[] Ids() => Enumerable.Range(0, Texts.Length).Select(i => $"doc-{i}").ToArray();

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
