using Retrieval.Contracts.V1;
using Retrieval.Testing.Onnx;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>Descriptors of the tests' models, as a user would send them.</summary>
public static class Descriptors
{
    public static EncoderDescriptor Mlp(string name, string version = "1", int dimension = TensorMlp.Out, string output = "y", string input = "x") => new()
    {
        Name = name,
        Version = version,
        Dimension = dimension,
        Metric = Metric.InnerProduct,
        Kind = EncoderKind.Dense,
        InputKind = InputKind.Tensor,
        InputName = input,
        OutputName = output,
        MaxBatch = 8,
    };

    public static EncoderDescriptor Text(string name, string queryPrefix = "") => new()
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
        Text = new TextSettings { QueryPrefix = queryPrefix },
    };
}
