namespace Retrieval.Core.MultiVector;

/// <summary>
/// Tokens an encoder-fed multi-vector space drops from the encoder's output before pruning and the FDE: tokens that
/// carry little meaning of their own in Chamfer (MaxSim) yet match every query's tokens alike.
/// </summary>
[Flags]
public enum TokenDrop
{
    /// <summary>Keep every token the model outputs.</summary>
    None = 0,

    /// <summary>The tokenizer's special tokens: [CLS], [SEP], [PAD], [MASK] (WordPiece); BOS, EOS, PAD (SentencePiece).</summary>
    Special = 1,

    /// <summary>Tokens made only of punctuation or symbol characters (after the WordPiece ## / SentencePiece ▁ marks).</summary>
    Punctuation = 2,

    /// <summary>
    /// Whole words on a fixed list of English function words (articles, prepositions, conjunctions, pronouns, auxiliary
    /// verbs: "the", "of", "and", "which", "is"), matched case-insensitively; a word split into several pieces is never
    /// one of them. Measured on MiniLM token outputs (docs/benchmarks.md, issue 17 item 5) as the cheapest tokens to drop.
    /// </summary>
    StopWords = 4,
}
