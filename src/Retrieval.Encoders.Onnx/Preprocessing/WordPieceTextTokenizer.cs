using Microsoft.ML.Tokenizers;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;

namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>WordPiece (Microsoft.ML.Tokenizers' BertTokenizer): <c>[CLS] pieces [SEP]</c>.</summary>
public sealed class WordPieceTextTokenizer(BertTokenizer tokenizer) : ITextTokenizer
{
    public BertTokenizer Tokenizer => tokenizer;

    /// <summary>Reads a vocab.txt (one token a line); INVALID_ARGUMENT naming <c>vocabulary</c> when it is not one.</summary>
    public static WordPieceTextTokenizer Load(ReadOnlyMemory<byte> vocabulary, TextSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        try
        {
            using var stream = new MemoryStream(vocabulary.ToArray(), writable: false);
            return new WordPieceTextTokenizer(BertTokenizer.Create(stream, new BertOptions { LowerCaseBeforeTokenization = settings.LowerCase }));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw RetrievalException.Invalid(FieldPath.Of("vocabulary"), $"not a WordPiece vocabulary: {e.Message}");
        }
    }

    public long[] Encode(string text, int maxTokens)
    {
        var ids = tokenizer.EncodeToIds(text, maxTokens, addSpecialTokens: true, out _, out _);
        var tokens = new long[Math.Min(ids.Count, maxTokens)];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = ids[i];
        }

        if (ids.Count > maxTokens)
        {
            tokens[^1] = tokenizer.SeparatorTokenId;
        }

        return tokens;
    }
}
