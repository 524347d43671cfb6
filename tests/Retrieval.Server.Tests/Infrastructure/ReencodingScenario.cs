using Google.Protobuf;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Onnx;

namespace Retrieval.Server.Tests.Infrastructure;

/// <summary>
/// A model upgrade with real encoders: two tiny ONNX text models (different weights) registered as v1 and v2, and a
/// collection that stores raw inputs with a space per model. The first <see cref="Anchors"/> items are written with
/// text for both spaces, the others with text for v1 only (their v2 vectors are the server's re-encoding work), and
/// one item with a plain v1 vector and no text (nothing to re-encode: left for the client).
/// </summary>
internal sealed class ReencodingScenario
{
    public const string NoInputId = "no-input";

    private static readonly string[] Words =
        ["the", "a", "cat", "dog", "sat", "on", "mat", "bird", "flew", "over", "house", "run", "play", "red", "blue", "car", "fast"];

    public ReencodingScenario(int items, int anchors, int seed)
    {
        var random = new Random(seed);
        Anchors = anchors;
        Texts = Enumerable.Range(0, items)
            .Select(i => string.Join(' ', Enumerable.Range(0, 3 + random.Next(5)).Select(_ => Words[random.Next(Words.Length)])) + $" {Words[i % Words.Length]}")
            .ToArray();
        var suffix = TestNames.Unique("enc");
        OldEncoder = $"{suffix}-v1";
        NewEncoder = $"{suffix}-v2";
    }

    public int Anchors { get; }

    public string[] Texts { get; }

    public string OldEncoder { get; }

    public string NewEncoder { get; }

    /// <summary>Items the server re-encodes: those written with text for v1 only.</summary>
    public int ToReencode => Texts.Length - Anchors;

    public static string Id(int i) => $"doc-{i:D4}";

    public static EncoderInput Text(string text) => new() { Text = text };

    /// <summary>Registers both encoders and creates the collection; returns its name.</summary>
    public async Task<string> CreateAsync(Contracts.V1.Encoders.EncodersClient encoders, Collections.CollectionsClient collections, Items.ItemsClient items, string prefix, bool storeInputs = true)
    {
        await RegisterAsync(encoders, OldEncoder, new TinyTextModel(seed: 11));
        await RegisterAsync(encoders, NewEncoder, new TinyTextModel(seed: 23));
        var name = TestNames.Unique(prefix);
        await collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = name,
            DefaultSpace = "v1",
            StoreInputs = storeInputs,
            Spaces =
            {
                Space("v1", OldEncoder),
                Space("v2", NewEncoder),
            },
        });

        foreach (var chunk in Enumerable.Range(0, Texts.Length).Chunk(100))
        {
            var request = new UpsertItemsRequest { Collection = name };
            foreach (var i in chunk)
            {
                var item = new Item { Id = Id(i), Payload = new Google.Protobuf.WellKnownTypes.Struct { Fields = { ["n"] = Google.Protobuf.WellKnownTypes.Value.ForNumber(i) } } };
                item.Inputs.Add("v1", Text(Texts[i]));
                if (i < Anchors)
                {
                    item.Inputs.Add("v2", Text(Texts[i]));
                }

                request.Items.Add(item);
            }

            await items.UpsertItemsAsync(request);
        }

        var plain = new Item { Id = NoInputId };
        plain.Vectors.Add("v1", new Vector { Values = { 0.5f, -0.5f, 0.5f, -0.5f, 0.1f, 0.2f } });
        await items.UpsertItemsAsync(new UpsertItemsRequest { Collection = name, Items = { plain } });
        return name;
    }

    /// <summary>Registers both encoders (the same models) on another server, so that a collection moved there can encode.</summary>
    public async Task RegisterEncodersAsync(Contracts.V1.Encoders.EncodersClient encoders)
    {
        await RegisterAsync(encoders, OldEncoder, new TinyTextModel(seed: 11));
        await RegisterAsync(encoders, NewEncoder, new TinyTextModel(seed: 23));
    }

    /// <summary>What the v2 encoder makes of each text (as a gallery document), through the Encode RPC.</summary>
    public async Task<float[][]> EncodeNewAsync(Contracts.V1.Encoders.EncodersClient encoders, IEnumerable<string> texts)
    {
        var response = await encoders.EncodeAsync(new EncodeRequest { Name = NewEncoder, Inputs = { texts.Select(Text) } });
        return response.Embeddings.Select(e => e.Values.ToArray()).ToArray();
    }

    private static Space Space(string name, string encoder) => new()
    {
        Name = name,
        Dimension = TinyTextModel.Dim,
        Metric = Metric.Cosine,
        Model = new ModelRef { Name = encoder, Version = "1" },
        Encoder = new EncoderRef { Name = encoder, Version = "1" },
    };

    private static async Task RegisterAsync(Contracts.V1.Encoders.EncodersClient encoders, string name, TinyTextModel model) =>
        await encoders.UploadEncoderAsync(new UploadEncoderRequest
        {
            Descriptor_ = new EncoderDescriptor
            {
                Name = name,
                Version = "1",
                Dimension = TinyTextModel.Dim,
                Metric = Metric.Cosine,
                Kind = EncoderKind.Dense,
                InputKind = InputKind.Text,
                OutputName = "last_hidden_state",
                Pooling = Pooling.Mean,
                Normalize = true,
                MaxSequenceLength = 16,
                MaxBatch = 32,
            },
            Model = ByteString.CopyFrom(model.Model()),
            Vocabulary = ByteString.CopyFrom(TinyTextModel.VocabularyBytes),
        });
}
