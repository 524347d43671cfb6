using Microsoft.ML.Tokenizers;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;

namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>WordPiece tokenization (Microsoft.ML.Tokenizers' BertTokenizer) with truncation to the descriptor's length.</summary>
public sealed class TextPreprocessor : IInputPreprocessor
{
    private readonly BertTokenizer _tokenizer;
    private readonly TextSettings _settings;
    private readonly int _maxTokens;

    public TextPreprocessor(BertTokenizer tokenizer, TextSettings settings, int maxTokens)
    {
        _tokenizer = tokenizer;
        _settings = settings;
        _maxTokens = maxTokens;
    }

    public BertTokenizer Tokenizer => _tokenizer;

    /// <summary>Reads a vocab.txt (one token a line); INVALID_ARGUMENT when it is not one.</summary>
    public static BertTokenizer LoadVocabulary(ReadOnlyMemory<byte> vocabulary, TextSettings settings)
    {
        try
        {
            using var stream = new MemoryStream(vocabulary.ToArray(), writable: false);
            return BertTokenizer.Create(stream, new BertOptions { LowerCaseBeforeTokenization = settings.LowerCase });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw RetrievalException.Invalid("vocabulary", $"not a WordPiece vocabulary: {e.Message}");
        }
    }

    public PreparedInput Prepare(EncoderInput input, bool isQuery, string field)
    {
        if (input is not TextInput text)
        {
            throw RetrievalException.Invalid(field, "this encoder takes text");
        }

        var value = isQuery ? _settings.QueryPrefix + text.Text : text.Text;
        return Tokenize(value);
    }

    public PreparedInput Probe() => Tokenize("probe inference");

    private PreparedInput Tokenize(string text)
    {
        var ids = _tokenizer.EncodeToIds(text, _maxTokens, addSpecialTokens: true, out _, out _);
        // The length cap counts [CLS] and [SEP]; keep the closing [SEP] even when truncating, as BERT models expect.
        var tokens = new long[Math.Min(ids.Count, _maxTokens)];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = ids[i];
        }

        if (ids.Count > _maxTokens)
        {
            tokens[^1] = _tokenizer.SeparatorTokenId;
        }

        return PreparedInput.Tokens(tokens);
    }
}
