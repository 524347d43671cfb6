namespace Retrieval.Encoders.Onnx.Inputs;

/// <summary>One raw input to encode. Exactly one kind, matching the encoder's input kind.</summary>
public abstract record EncoderInput
{
    private protected EncoderInput()
    {
    }
}

/// <summary>A text, tokenized by the encoder's vocabulary.</summary>
public sealed record TextInput(string Text) : EncoderInput;

/// <summary>An encoded JPEG or PNG image.</summary>
public sealed record ImageInput(ReadOnlyMemory<byte> Bytes) : EncoderInput;

/// <summary>A float tensor for one item, without the batch dimension; <paramref name="Values"/> is row-major.</summary>
public sealed record TensorInput(IReadOnlyList<int> Shape, ReadOnlyMemory<float> Values) : EncoderInput;
