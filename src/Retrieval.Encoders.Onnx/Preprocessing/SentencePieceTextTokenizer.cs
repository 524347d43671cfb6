using Microsoft.ML.Tokenizers;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;

namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>
/// SentencePiece (Microsoft.ML.Tokenizers, unigram or BPE models): <c>[bos] pieces [eos]</c>, with the model's own
/// normalizer and the model's piece indices as token ids.
/// </summary>
public sealed class SentencePieceTextTokenizer : ITextTokenizer
{
    private readonly SentencePieceTokenizer _tokenizer;
    private readonly bool _addBos;
    private readonly bool _addEos;
    private readonly Dictionary<long, string> _pieces;

    private SentencePieceTextTokenizer(SentencePieceTokenizer tokenizer, bool addBos, bool addEos)
    {
        _tokenizer = tokenizer;
        _addBos = addBos;
        _addEos = addEos;
        _pieces = [];
        foreach (var (piece, id) in tokenizer.Vocabulary)
        {
            _pieces[id] = piece;
        }
    }

    public SentencePieceTokenizer Tokenizer => _tokenizer;

    /// <summary>
    /// Reads a SentencePiece model file. INVALID_ARGUMENT naming <c>vocabulary</c> when it is no model the library can
    /// run, or naming <c>descriptor.text.add_bos</c>/<c>add_eos</c> when the model lacks a piece the settings ask for
    /// (the library would otherwise substitute id 1 silently).
    /// </summary>
    public static SentencePieceTextTokenizer Load(ReadOnlyMemory<byte> model, TextSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        SentencePieceTokenizer tokenizer;
        try
        {
            using var stream = new MemoryStream(model.ToArray(), writable: false);
            tokenizer = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
        }
        // The file is user input parsed by the library: every way it can reject it is the uploader's error. Protobuf
        // parse failures are IOExceptions; a well-formed proto of an unsupported model type is an ArgumentException.
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or FormatException
                                      or NotSupportedException or KeyNotFoundException or OverflowException)
        {
            throw RetrievalException.Invalid(FieldPath.Of("vocabulary"), $"not a SentencePiece model: {e.Message}");
        }
        catch (IndexOutOfRangeException e)
        {
            // Microsoft.ML.Tokenizers 2.0.1 indexes its piece table with the trainer spec's special ids, so a unigram
            // model that has no <s> or </s> (bos_id or eos_id -1, as T5's) cannot be read by it.
            throw RetrievalException.Invalid(FieldPath.Of("vocabulary"), $"a SentencePiece model Microsoft.ML.Tokenizers cannot read (a unigram model needs bos_id, eos_id and unk_id inside its pieces): {e.Message}");
        }

        if (tokenizer.Vocabulary.Count == 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("vocabulary"), "not a SentencePiece model: it has no pieces");
        }

        RequirePiece(tokenizer, settings.AddBeginningOfSentence, tokenizer.BeginningOfSentenceToken, tokenizer.BeginningOfSentenceId, "add_bos", "beginning");
        RequirePiece(tokenizer, settings.AddEndOfSentence, tokenizer.EndOfSentenceToken, tokenizer.EndOfSentenceId, "add_eos", "end");
        return new SentencePieceTextTokenizer(tokenizer, settings.AddBeginningOfSentence, settings.AddEndOfSentence);
    }

    public long[] Encode(string text, int maxTokens)
    {
        var specials = (_addBos ? 1 : 0) + (_addEos ? 1 : 0);
        var budget = Math.Max(0, maxTokens - specials);
        // Truncation happens on pieces, before the special tokens go around them, so a long text keeps its [eos].
        var pieces = budget == 0 || text.Length == 0
            ? []
            : _tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false, budget, out _, out _);
        var tokens = new long[pieces.Count + specials];
        var at = 0;
        if (_addBos)
        {
            tokens[at++] = _tokenizer.BeginningOfSentenceId;
        }

        foreach (var id in pieces)
        {
            tokens[at++] = id;
        }

        if (_addEos)
        {
            tokens[at] = _tokenizer.EndOfSentenceId;
        }

        return tokens;
    }

    public long? TokenId(string token) => _tokenizer.Vocabulary.TryGetValue(token, out var id) ? id : null;

    public bool IsSpecial(long id) => id == _tokenizer.BeginningOfSentenceId || id == _tokenizer.EndOfSentenceId;

    public bool ContinuesWord(long id) =>
        !IsSpecial(id) && _pieces.TryGetValue(id, out var piece) && !piece.StartsWith('\u2581');

    public string TokenText(long id) => _pieces.TryGetValue(id, out var piece) ? piece.Replace("\u2581", "", StringComparison.Ordinal) : "";

    private static void RequirePiece(SentencePieceTokenizer tokenizer, bool wanted, string piece, int id, string setting, string which)
    {
        if (wanted && !(tokenizer.Vocabulary.TryGetValue(piece, out var found) && found == id))
        {
            throw RetrievalException.Invalid(
                FieldPath.Of("descriptor").Member("text").Member(setting),
                $"the SentencePiece model has no {which}-of-sentence piece ('{piece}' at id {id}); set {setting} false");
        }
    }
}
