using Retrieval.Core.Model;

namespace Retrieval.Encoders.Onnx.Descriptors;

/// <summary>
/// Everything the server needs to turn raw inputs into vectors with one ONNX model: the space it produces, how to
/// prepare inputs, which model inputs and output to use, and how to pool and normalize the output.
/// </summary>
public sealed record EncoderDescriptor
{
    public required string Name { get; init; }

    public required string Version { get; init; }

    /// <summary>Length of each produced vector.</summary>
    public required int Dimension { get; init; }

    public Metric Metric { get; init; } = Metric.Cosine;

    public EncoderKind Kind { get; init; } = EncoderKind.Dense;

    public required EncoderInputKind InputKind { get; init; }

    /// <summary>The model input of image and tensor encoders (text encoders name theirs in <see cref="Text"/>).</summary>
    public string InputName { get; init; } = "";

    /// <summary>The model output holding vectors (<c>[batch, dim, ...]</c>) or token states (<c>[batch, tokens, dim]</c>).</summary>
    public required string OutputName { get; init; }

    public Pooling Pooling { get; init; } = Pooling.None;

    /// <summary>L2-normalize each produced vector.</summary>
    public bool Normalize { get; init; }

    /// <summary>Most inputs in one model run. Default 32.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>Most tokens per text, special tokens included; longer texts are truncated. Default 128.</summary>
    public int MaxSequenceLength { get; init; } = 128;

    public TextSettings? Text { get; init; }

    public ImageSettings? Image { get; init; }
}
