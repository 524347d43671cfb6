using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;

namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>Text inputs: the query prefix for queries, then the encoder's tokenizer with truncation to the descriptor's length.</summary>
public sealed class TextPreprocessor : IInputPreprocessor
{
    private readonly ITextTokenizer _tokenizer;
    private readonly TextSettings _settings;
    private readonly int _maxTokens;

    private readonly long? _queryMarker;
    private readonly long? _documentMarker;

    /// <summary>INVALID_ARGUMENT naming <c>descriptor.text.query_marker</c>/<c>document_marker</c> for a marker the tokenizer cannot place.</summary>
    public TextPreprocessor(ITextTokenizer tokenizer, TextSettings settings, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(settings);
        _tokenizer = tokenizer;
        _settings = settings;
        _maxTokens = maxTokens;
        _queryMarker = Marker(settings.QueryMarker, "query_marker");
        _documentMarker = Marker(settings.DocumentMarker, "document_marker");
    }

    private long? Marker(string marker, string setting)
    {
        if (string.IsNullOrEmpty(marker))
        {
            return null;
        }

        var field = FieldPath.Of("descriptor").Member("text").Member(setting);
        if (_settings.Tokenizer != TokenizerKind.WordPiece)
        {
            throw RetrievalException.Invalid(field, "markers go after [CLS], so they need a WordPiece tokenizer");
        }

        if (_maxTokens < 3)
        {
            throw RetrievalException.Invalid(field, "needs max_sequence_length ≥ 3 ([CLS], marker, [SEP])");
        }

        return _tokenizer.TokenId(marker) ?? throw RetrievalException.Invalid(field, $"'{marker}' is not in the vocabulary");
    }

    public ITextTokenizer Tokenizer => _tokenizer;

    public PreparedInput Prepare(EncoderInput input, bool isQuery, FieldPath field)
    {
        if (input is not TextInput text)
        {
            throw RetrievalException.Invalid(field, "this encoder takes text");
        }

        var value = isQuery ? _settings.QueryPrefix + text.Text : text.Text;
        var marker = isQuery ? _queryMarker : _documentMarker;
        var tokens = _tokenizer.Encode(value, marker is null ? _maxTokens : _maxTokens - 1);
        if (marker is { } id && tokens.Length > 0)
        {
            // ColBERT's place for [Q]/[D]: right after [CLS], before the text's own tokens.
            tokens = [tokens[0], id, .. tokens.AsSpan(1)];
        }

        // A SentencePiece encoder without special tokens gives an empty text no token at all; a model cannot run on that.
        return tokens.Length > 0 ? PreparedInput.Tokens(tokens) : throw RetrievalException.Invalid(field, "the text gives no tokens");
    }

    public PreparedInput Probe() => PreparedInput.Tokens(_tokenizer.Encode("probe inference", _maxTokens));
}
