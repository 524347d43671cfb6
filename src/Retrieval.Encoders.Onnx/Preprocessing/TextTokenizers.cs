using Retrieval.Encoders.Onnx.Descriptors;

namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>Loads a text encoder's uploaded tokenizer file as the kind its settings name.</summary>
public static class TextTokenizers
{
    public static ITextTokenizer Load(ReadOnlyMemory<byte> file, TextSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Tokenizer == TokenizerKind.SentencePiece
            ? SentencePieceTextTokenizer.Load(file, settings)
            : WordPieceTextTokenizer.Load(file, settings);
    }
}
