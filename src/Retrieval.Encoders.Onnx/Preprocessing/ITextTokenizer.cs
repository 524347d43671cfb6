namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>Turns one text into the token ids a text encoder takes, special tokens included.</summary>
public interface ITextTokenizer
{
    /// <summary>
    /// Token ids of <paramref name="text"/> with the tokenizer's special tokens, at most <paramref name="maxTokens"/>
    /// of them; a longer text loses its tail but keeps the closing special token, as the models expect.
    /// </summary>
    long[] Encode(string text, int maxTokens);

    /// <summary>True for the ids of the tokenizer's special tokens (classification, separator, padding, masking, sentence marks).</summary>
    bool IsSpecial(long id);

    /// <summary>
    /// The text a token id stands for, without the tokenizer's word marks (WordPiece's leading <c>##</c>, SentencePiece's
    /// <c>▁</c>); empty for an id outside the vocabulary.
    /// </summary>
    string TokenText(long id);

    /// <summary>
    /// True for a token that continues the word of the token before it (WordPiece's <c>##</c> pieces; a SentencePiece
    /// piece without the <c>▁</c> word mark); false for special tokens and ids outside the vocabulary.
    /// </summary>
    bool ContinuesWord(long id);

    /// <summary>The id of a vocabulary token given by its exact text, or null when the vocabulary lacks it.</summary>
    long? TokenId(string token);
}
