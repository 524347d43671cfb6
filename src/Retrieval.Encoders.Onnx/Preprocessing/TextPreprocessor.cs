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

    public TextPreprocessor(ITextTokenizer tokenizer, TextSettings settings, int maxTokens)
    {
        _tokenizer = tokenizer;
        _settings = settings;
        _maxTokens = maxTokens;
    }

    public ITextTokenizer Tokenizer => _tokenizer;

    public PreparedInput Prepare(EncoderInput input, bool isQuery, FieldPath field)
    {
        if (input is not TextInput text)
        {
            throw RetrievalException.Invalid(field, "this encoder takes text");
        }

        var value = isQuery ? _settings.QueryPrefix + text.Text : text.Text;
        var tokens = _tokenizer.Encode(value, _maxTokens);
        // A SentencePiece encoder without special tokens gives an empty text no token at all; a model cannot run on that.
        return tokens.Length > 0 ? PreparedInput.Tokens(tokens) : throw RetrievalException.Invalid(field, "the text gives no tokens");
    }

    public PreparedInput Probe() => PreparedInput.Tokens(_tokenizer.Encode("probe inference", _maxTokens));
}
