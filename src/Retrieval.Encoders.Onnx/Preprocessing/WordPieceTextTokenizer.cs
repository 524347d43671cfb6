using Microsoft.ML.Tokenizers;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;

namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>WordPiece (Microsoft.ML.Tokenizers' BertTokenizer): <c>[CLS] pieces [SEP]</c>.</summary>
public sealed class WordPieceTextTokenizer(BertTokenizer tokenizer, IReadOnlyList<string> vocabulary) : ITextTokenizer
{
    // BertTokenizer maps unknown words to [UNK], which stands for a word; it is no special token here, even when it
    // stands in for a missing [PAD] or [MASK].
    private readonly HashSet<long> _special =
        [.. new long[] { tokenizer.ClassificationTokenId, tokenizer.SeparatorTokenId, tokenizer.PaddingTokenId, tokenizer.MaskingTokenId }
            .Where(id => id != tokenizer.UnknownTokenId)];

    public BertTokenizer Tokenizer => tokenizer;

    /// <summary>
    /// Reads a vocab.txt (one token a line); INVALID_ARGUMENT naming <c>vocabulary</c> when it is not one. Encoding needs
    /// <c>[UNK]</c>, <c>[CLS]</c> and <c>[SEP]</c>. BertTokenizer also insists on <c>[PAD]</c> and <c>[MASK]</c>, which
    /// encoding never emits (inputs are not padded by the tokenizer, nothing is masked): a vocabulary without them is
    /// accepted, with <c>[UNK]</c> standing in for the library.
    /// </summary>
    public static WordPieceTextTokenizer Load(ReadOnlyMemory<byte> vocabulary, TextSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        try
        {
            var options = new BertOptions { LowerCaseBeforeTokenization = settings.LowerCase };
            var lines = Lines(vocabulary.Span);
            var tokens = new HashSet<string>(lines, StringComparer.Ordinal);
            if (!tokens.Contains(options.MaskingToken))
            {
                options.MaskingToken = options.UnknownToken;
            }

            if (!tokens.Contains(options.PaddingToken))
            {
                options.PaddingToken = options.UnknownToken;
            }

            using var stream = new MemoryStream(vocabulary.ToArray(), writable: false);
            return new WordPieceTextTokenizer(BertTokenizer.Create(stream, options), lines);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw RetrievalException.Invalid(FieldPath.Of("vocabulary"), $"not a WordPiece vocabulary: {e.Message}");
        }
    }

    /// <summary>The vocabulary's tokens, one a line (UTF-8, LF or CRLF); a token's id is its line number.</summary>
    private static string[] Lines(ReadOnlySpan<byte> vocabulary) =>
        [.. System.Text.Encoding.UTF8.GetString(vocabulary).Split('\n').Select(line => line.TrimEnd('\r'))];

    public bool IsSpecial(long id) => _special.Contains(id);

    public long? TokenId(string token)
    {
        for (var i = 0; i < vocabulary.Count; i++)
        {
            if (string.Equals(vocabulary[i], token, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return null;
    }

    public bool ContinuesWord(long id) =>
        id >= 0 && id < vocabulary.Count && !_special.Contains(id) && vocabulary[(int)id].Length > 2 && vocabulary[(int)id].StartsWith("##", StringComparison.Ordinal);

    public string TokenText(long id)
    {
        if (id < 0 || id >= vocabulary.Count)
        {
            return "";
        }

        var token = vocabulary[(int)id];
        return token.StartsWith("##", StringComparison.Ordinal) && token.Length > 2 ? token[2..] : token;
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
