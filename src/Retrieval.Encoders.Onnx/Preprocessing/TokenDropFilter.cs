using Retrieval.Core.MultiVector;

namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>
/// Decides which of a text's tokens a multi-vector space keeps (<see cref="TokenDrop"/>): special tokens by the
/// tokenizer's ids, punctuation by the token's text.
/// </summary>
public static class TokenDropFilter
{
    /// <summary>Whether each of <paramref name="ids"/> is kept; every token when <paramref name="drop"/> is none.</summary>
    public static bool[] Keep(ReadOnlySpan<long> ids, ITextTokenizer tokenizer, TokenDrop drop)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var keep = new bool[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            keep[i] = !((drop.HasFlag(TokenDrop.Special) && tokenizer.IsSpecial(ids[i]))
                        || (drop.HasFlag(TokenDrop.Punctuation) && !tokenizer.IsSpecial(ids[i]) && IsPunctuation(tokenizer.TokenText(ids[i])))
                        || (drop.HasFlag(TokenDrop.StopWords) && IsStopWord(ids, i, tokenizer)));
        }

        return keep;
    }

    /// <summary>
    /// Token <paramref name="i"/> is a whole word (it starts one and the next token does not continue it) on the list
    /// of <see cref="EnglishStopWords"/>: "the" is one, the first piece of "theorem" or "then" split as "the ##n" is not.
    /// </summary>
    public static bool IsStopWord(ReadOnlySpan<long> ids, int i, ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return !tokenizer.IsSpecial(ids[i])
               && !tokenizer.ContinuesWord(ids[i])
               && (i + 1 == ids.Length || !tokenizer.ContinuesWord(ids[i + 1]))
               && EnglishStopWords.Contains(tokenizer.TokenText(ids[i]));
    }

    /// <summary>A token made only of punctuation and symbol characters (".", ",", "##-", "▁?", "...").</summary>
    public static bool IsPunctuation(string text) =>
        text.Length > 0 && text.All(c => char.IsPunctuation(c) || char.IsSymbol(c));
}
