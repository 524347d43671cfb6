using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Onnx;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// Multi-vector spaces fed by a multi encoder (the tiny ONNX text model's token states, pooling none): raw text in on
/// upsert and search gives what the encoder's token rows sent by hand give; dropTokens removes exactly the tokens it
/// names; the stored inputs come back; a kind mismatch between space and encoder is refused naming the field.
/// </summary>
public abstract class MultiVectorEncoderApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private const string QueryPrefix = "query : ";

    private static readonly string[] Texts =
    [
        "the cat sat on the mat.", "a dog , running fast", "the bird flew over the house", "red car , blue car.",
        "a cat played", "the dog sat on a red mat", "birds flew fast", "the blue house.",
    ];

    private InProcessServer Server => fixture.Server;

    [SkippableFact]
    public async Task TextIntoMultiSpace_MatchesTheEncodersTokenRowsSentByHand_AndStoresTheInputs()
    {
        var encoder = await RegisterAsync(EncoderKind.Multi);
        var name = TestNames.Unique("mvenc");
        await Server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = name,
            DefaultSpace = "tok",
            StoreInputs = true,
            Spaces = { MultiSpace("tok", encoder), MultiSpace("manual", null), MultiSpace("dropped", encoder, DropToken.Special, DropToken.Punctuation),
                MultiSpace("stopped", encoder, DropToken.Special, DropToken.Punctuation, DropToken.Stopwords),
            },
        });

        var documents = await EncodeAsync(encoder, Texts, query: false);
        var upsert = new UpsertItemsRequest { Collection = name };
        for (var i = 0; i < Texts.Length; i++)
        {
            var item = new Item { Id = $"d{i}", Vectors = { ["manual"] = Rows(documents[i]) } };
            item.Inputs.Add("tok", new EncoderInput { Text = Texts[i] });
            item.Inputs.Add("dropped", new EncoderInput { Text = Texts[i] });
            item.Inputs.Add("stopped", new EncoderInput { Text = Texts[i] });
            upsert.Items.Add(item);
        }

        await Server.Items.UpsertItemsAsync(upsert);

        // Document side: the stored token rows are the encoder's rows, all of them for "tok".
        var read = await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { "d0" }, WithVectors = true, WithInputs = true });
        var d0 = read.Items.Single();
        Assert.Equal(documents[0].Length, d0.Vectors["tok"].Rows.Count);
        for (var r = 0; r < documents[0].Length; r++)
        {
            Assert.Equal(documents[0][r], d0.Vectors["tok"].Rows[r].Values.ToArray(), new ToleranceComparer(1e-5f));
        }

        // "the cat sat on the mat." is [CLS] the cat sat on the mat . [SEP]: dropping special tokens and punctuation
        // leaves the six word tokens, in order.
        Assert.Equal(9, documents[0].Length);
        Assert.Equal(6, d0.Vectors["dropped"].Rows.Count);
        for (var r = 0; r < 6; r++)
        {
            Assert.Equal(documents[0][r + 1], d0.Vectors["dropped"].Rows[r].Values.ToArray(), new ToleranceComparer(1e-5f));
        }

        // Stop words go too: "the" and "on" are whole words on the list, so cat, sat and mat are left.
        Assert.Equal(3, d0.Vectors["stopped"].Rows.Count);
        foreach (var (stored, source) in new[] { (0, 2), (1, 3), (2, 6) })
        {
            Assert.Equal(documents[0][source], d0.Vectors["stopped"].Rows[stored].Values.ToArray(), new ToleranceComparer(1e-5f));
        }

        var described = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name });
        Assert.Equal([DropToken.Special, DropToken.Punctuation, DropToken.Stopwords], described.Spaces.Single(s => s.Name == "stopped").MultiVector.DropTokens);

        // The collection stores inputs: the texts come back for re-encoding.
        Assert.Equal(Texts[0], d0.Inputs["tok"].Text);

        // Query side: the text is encoded as a query (prefix), so searching with it equals searching with the
        // encoder's query rows by hand, hit for hit and score for score.
        foreach (var text in new[] { "the cat", "blue car fast", "a bird over the mat" })
        {
            var queryRows = (await EncodeAsync(encoder, [text], query: true))[0];
            Assert.Equal(text.Split(' ').Length + 4, queryRows.Length);
            var byText = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Input = new EncoderInput { Text = text }, K = 5, Exact = true });
            var byHand = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Space = "manual", Vector = Rows(queryRows), K = 5, Exact = true });
            Assert.Equal(byHand.Hits.Select(h => h.Id), byText.Hits.Select(h => h.Id));
            Assert.Equal(byHand.Hits.Select(h => h.Score), byText.Hits.Select(h => h.Score), new ToleranceComparer(1e-5f));

            // The FDE first stage (K' covering every item) takes the same encoded query.
            var viaFde = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Input = new EncoderInput { Text = text }, K = 5, Candidates = Texts.Length });
            Assert.Equal(byHand.Hits.Select(h => h.Id), viaFde.Hits.Select(h => h.Id));
        }

        // The dropping space drops on the query side too: its scores are Chamfer over the kept tokens.
        var kept = (await EncodeAsync(encoder, ["the cat."], query: true))[0];
        var keptRows = kept[1..^2].Where((_, i) => i != 1).ToArray(); // [CLS] query : the cat . [SEP] → query the cat
        var dropped = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Space = "dropped", Input = new EncoderInput { Text = "the cat." }, K = 3, Exact = true });
        var d0Dropped = documents[0][1..^2]; // the cat sat on the mat
        var hit = dropped.Hits.Single(h => h.Id == "d0");
        Assert.Equal(Chamfer(keptRows, d0Dropped), hit.Score, 1e-4);

        // REST takes the same raw-text search.
        using var rest = await Server.PostJsonAsync($"/v1/collections/{name}:search", """{"input":{"text":"the cat"},"k":3,"exact":true}""");
        Assert.Equal(HttpStatusCode.OK, rest.StatusCode);
    }

    [SkippableFact]
    public async Task KindMismatchAndDropWithoutEncoder_AreRefusedNamingTheField()
    {
        var multi = await RegisterAsync(EncoderKind.Multi);
        var dense = await RegisterAsync(EncoderKind.Dense);

        var denseOnMulti = await Assert.ThrowsAsync<RpcException>(() => Server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = TestNames.Unique("bad"), Spaces = { MultiSpace("tok", dense) },
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, denseOnMulti.StatusCode);
        Assert.Contains("spaces[0].encoder", denseOnMulti.Status.Detail, StringComparison.Ordinal);

        var multiOnDense = await Assert.ThrowsAsync<RpcException>(() => Server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = TestNames.Unique("bad"),
            Spaces = { new Space { Name = "v", Dimension = TinyTextModel.Dim, Metric = Metric.Cosine, Model = new ModelRef { Name = "m", Version = "1" }, Encoder = new EncoderRef { Name = multi, Version = "1" } } },
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, multiOnDense.StatusCode);
        Assert.Contains("spaces[0].encoder", multiOnDense.Status.Detail, StringComparison.Ordinal);

        var dropWithoutEncoder = await Assert.ThrowsAsync<RpcException>(() => Server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = TestNames.Unique("bad"), Spaces = { MultiSpace("tok", null, DropToken.Special) },
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, dropWithoutEncoder.StatusCode);
        Assert.Contains("spaces[0].multiVector.dropTokens", dropWithoutEncoder.Status.Detail, StringComparison.Ordinal);

        // A document whose every token is dropped leaves nothing to store: refused naming its input, nothing written.
        var name = TestNames.Unique("mvenc");
        await Server.Collections.CreateCollectionAsync(new CreateCollectionRequest { Name = name, Spaces = { MultiSpace("tok", multi, DropToken.Special, DropToken.Punctuation) } });
        var item = new Item { Id = "empty" };
        item.Inputs.Add("tok", new EncoderInput { Text = ". ," });
        var empty = await Assert.ThrowsAsync<RpcException>(() => Server.Items.UpsertItemsAsync(new UpsertItemsRequest { Collection = name, Items = { item } }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.Contains("items[0].inputs.tok", empty.Status.Detail, StringComparison.Ordinal);
        Assert.Empty((await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { "empty" } })).Items);
    }

    [SkippableFact]
    public async Task QueryAndDocumentMarkers_GoRightAfterCls_AndAnUnknownMarkerIsRefused()
    {
        // The tiny model's token state depends on the token id alone, so a marker's row is that token's row anywhere.
        var name = await RegisterAsync(EncoderKind.Multi, new TextSettings { QueryMarker = "red", DocumentMarker = "blue" });
        var query = (await EncodeAsync(name, ["the cat"], query: true))[0];
        var document = (await EncodeAsync(name, ["the cat"], query: false))[0];
        var plain = (await EncodeAsync(name, ["red blue the cat"], query: false))[0]; // [CLS] blue red blue the cat [SEP]
        Assert.Equal(5, query.Length); // [CLS] red the cat [SEP]
        Assert.Equal(5, document.Length); // [CLS] blue the cat [SEP]
        Assert.Equal(plain[2], query[1]);
        Assert.Equal(plain[1], document[1]);
        Assert.Equal(document[2..], query[2..]);

        var unknown = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync(EncoderKind.Multi, new TextSettings { QueryMarker = "[unused0]" }));
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Contains("descriptor.text.query_marker", unknown.Status.Detail, StringComparison.Ordinal);
    }

    private static Space MultiSpace(string name, string? encoder, params DropToken[] drop)
    {
        var space = new Space
        {
            Name = name, Dimension = TinyTextModel.Dim, Metric = Metric.Cosine, Model = new ModelRef { Name = "tiny", Version = "1" },
            Kind = SpaceKind.Multi,
            MultiVector = new MultiVectorConfig { Muvera = new MuveraConfig { Preset = MuveraPreset.Compact, Seed = 9 }, DropTokens = { drop } },
        };
        if (encoder is not null)
        {
            space.Encoder = new EncoderRef { Name = encoder, Version = "1" };
        }

        return space;
    }

    private async Task<string> RegisterAsync(EncoderKind kind, TextSettings? text = null)
    {
        var name = TestNames.Unique(kind == EncoderKind.Multi ? "tokens" : "pooled");
        await Server.Encoders.UploadEncoderAsync(new UploadEncoderRequest
        {
            Descriptor_ = new EncoderDescriptor
            {
                Name = name,
                Version = "1",
                Dimension = TinyTextModel.Dim,
                Metric = Metric.Cosine,
                Kind = kind,
                InputKind = InputKind.Text,
                OutputName = "last_hidden_state",
                Pooling = kind == EncoderKind.Multi ? Pooling.None : Pooling.Mean,
                Normalize = true,
                MaxSequenceLength = 32,
                MaxBatch = 8,
                Text = text ?? new TextSettings { QueryPrefix = QueryPrefix },
            },
            Model = ByteString.CopyFrom(new TinyTextModel(seed: 11).Model()),
            Vocabulary = ByteString.CopyFrom(TinyTextModel.VocabularyBytes),
        });
        return name;
    }

    private async Task<float[][][]> EncodeAsync(string encoder, IEnumerable<string> texts, bool query)
    {
        var response = await Server.Encoders.EncodeAsync(new EncodeRequest { Name = encoder, Query = query, Inputs = { texts.Select(t => new EncoderInput { Text = t }) } });
        return response.Embeddings
            .Select(e => Enumerable.Range(0, e.Rows).Select(r => e.Values.Skip(r * TinyTextModel.Dim).Take(TinyTextModel.Dim).ToArray()).ToArray())
            .ToArray();
    }

    private static Vector Rows(float[][] rows)
    {
        var vector = new Vector();
        vector.Rows.Add(rows.Select(r => new Vector { Values = { r } }));
        return vector;
    }

    private static double Chamfer(float[][] query, float[][] document) =>
        query.Sum(q => document.Max(d => q.Zip(d, (a, b) => (double)a * b).Sum()));

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}

public sealed class SqliteMultiVectorEncoderApiTests(SqliteServerFixture fixture) : MultiVectorEncoderApiTests<SqliteServerFixture>(fixture);

public sealed class PostgresMultiVectorEncoderApiTests(PostgresServerFixture fixture) : MultiVectorEncoderApiTests<PostgresServerFixture>(fixture);
