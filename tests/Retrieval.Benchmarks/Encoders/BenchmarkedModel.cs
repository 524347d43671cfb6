using System.Reflection;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;
using Retrieval.Encoders.Onnx.Preprocessing;
using ProtoDescriptor = Retrieval.Contracts.V1.EncoderDescriptor;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>
/// One pretrained encoder under test: the descriptor a user would upload, the model bytes, and the benchmark's inputs
/// both raw (sent to the server) and preprocessed by the server's own preprocessor (fed to the raw ORT session), so
/// both sides see the same tokens and the same tensors. The preprocessor is kept so its own cost can be timed.
/// </summary>
internal sealed record BenchmarkedModel(
    string Name,
    ProtoDescriptor Descriptor,
    byte[] Model,
    byte[]? Vocabulary,
    IReadOnlyList<Contracts.V1.EncoderInput> Inputs,
    IReadOnlyList<PreparedInput> Prepared,
    TextSettings? Tokenization,
    IInputPreprocessor Preprocessor,
    IReadOnlyList<EncoderInput> RawInputs)
{
    /// <summary>Longest token sequence the text encoders take (the server truncates to it; the raw side sees the same ids).</summary>
    public const int MaxTokens = 128;

    /// <summary>The largest batch benchmarked; descriptors allow it so a batch-32 request is one ORT run.</summary>
    public const int MaxBatch = 32;

    public static BenchmarkedModel Text(string name, string assemblyName, Contracts.V1.Pooling pooling, IReadOnlyList<string> texts)
    {
        var model = Resource(assemblyName, "model.onnx");
        var vocabulary = Resource(assemblyName, "vocab.txt");
        var descriptor = new ProtoDescriptor
        {
            Name = name,
            Version = "bench",
            Dimension = 384,
            Metric = Contracts.V1.Metric.Cosine,
            Kind = Contracts.V1.EncoderKind.Dense,
            InputKind = Contracts.V1.InputKind.Text,
            OutputName = "last_hidden_state",
            Pooling = pooling,
            Normalize = true,
            MaxBatch = MaxBatch,
            MaxSequenceLength = MaxTokens,
            Text = new Contracts.V1.TextSettings { TokenTypeIdsName = "token_type_ids" },
        };
        var settings = new TextSettings { TokenTypeIdsName = "token_type_ids" };
        var preprocessor = new TextPreprocessor(TextTokenizers.Load(vocabulary, settings), settings, MaxTokens);
        var inputs = texts.Select(t => new Contracts.V1.EncoderInput { Text = t }).ToArray();
        var raw = texts.Select(t => (EncoderInput)new TextInput(t)).ToArray();
        var prepared = raw.Select((t, i) => preprocessor.Prepare(t, isQuery: false, FieldPath.Of("inputs").Index(i))).ToArray();
        return new BenchmarkedModel(name, descriptor, model, vocabulary, inputs, prepared, settings, preprocessor, raw);
    }

    /// <summary>ML.NET's ResNet18 (fixed batch 1) with the preprocessing its test registers: BGR, ImageNet means in 0..255.</summary>
    public static BenchmarkedModel ResNet18(string modelPath, IReadOnlyList<byte[]> images)
    {
        var descriptor = new ProtoDescriptor
        {
            Name = "resnet18",
            Version = "bench",
            Dimension = 512,
            Metric = Contracts.V1.Metric.Cosine,
            Kind = Contracts.V1.EncoderKind.Dense,
            InputKind = Contracts.V1.InputKind.Image,
            InputName = "Input247",
            OutputName = "Pooling395_Output_0",
            MaxBatch = MaxBatch,
            Image = new Contracts.V1.ImageSettings
            {
                Width = 224,
                Height = 224,
                ResizeShorterSide = 224,
                Scale = 1,
                Mean = { 103.94f, 116.78f, 123.68f },
                Std = { 1, 1, 1 },
                ChannelOrder = Contracts.V1.ChannelOrder.Bgr,
            },
        };
        var preprocessor = new ImagePreprocessor(new ImageSettings
        {
            Width = 224,
            Height = 224,
            ResizeShorterSide = 224,
            Scale = 1,
            Mean = [103.94f, 116.78f, 123.68f],
            Std = [1, 1, 1],
            ChannelOrder = ChannelOrder.Bgr,
        });
        var inputs = images.Select(b => new Contracts.V1.EncoderInput { Image = Google.Protobuf.ByteString.CopyFrom(b) }).ToArray();
        var raw = images.Select(b => (EncoderInput)new ImageInput(b)).ToArray();
        var prepared = raw.Select((b, i) => preprocessor.Prepare(b, isQuery: false, FieldPath.Of("inputs").Index(i))).ToArray();
        return new BenchmarkedModel("resnet18", descriptor, File.ReadAllBytes(modelPath), null, inputs, prepared, null, preprocessor, raw);
    }

    private static byte[] Resource(string assemblyName, string suffix)
    {
        var assembly = Assembly.Load(assemblyName);
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(suffix, StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
