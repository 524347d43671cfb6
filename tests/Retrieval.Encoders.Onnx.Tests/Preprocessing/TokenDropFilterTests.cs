using System.Text;
using Retrieval.Core.Errors;
using Retrieval.Core.MultiVector;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;
using Retrieval.Encoders.Onnx.Preprocessing;
using static Retrieval.Testing.Tokenizers.SentencePieceModelFile;

namespace Retrieval.Encoders.Onnx.Tests.Preprocessing;

/// <summary>Which tokens multiVector.dropTokens removes, for both tokenizers, and where ColBERT-style markers go.</summary>
public sealed class TokenDropFilterTests
{
    private static WordPieceTextTokenizer WordPiece(params string[] vocabulary) =>
        WordPieceTextTokenizer.Load(Encoding.UTF8.GetBytes(string.Join('\n', vocabulary) + "\n"), new TextSettings());

    [Fact]
    public void WordPiece_SpecialAndPunctuation_AreDroppedByWhatTheyAre_UnknownWordsAreKept()
    {
        var tokenizer = WordPiece("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", ".", ",", "##-", "sat", "##s");
        var ids = tokenizer.Encode("the cats , sat zebra.", 32); // [CLS] the cat ##s , sat [UNK] . [SEP]
        Assert.Equal([2L, 5, 6, 11, 8, 10, 1, 7, 3], ids);

        Assert.Equal([true, true, true, true, true, true, true, true, true], TokenDropFilter.Keep(ids, tokenizer, TokenDrop.None));
        Assert.Equal([false, true, true, true, true, true, true, true, false], TokenDropFilter.Keep(ids, tokenizer, TokenDrop.Special));
        Assert.Equal([true, true, true, true, false, true, true, false, true], TokenDropFilter.Keep(ids, tokenizer, TokenDrop.Punctuation));
        Assert.Equal([false, true, true, true, false, true, true, false, false], TokenDropFilter.Keep(ids, tokenizer, TokenDrop.Special | TokenDrop.Punctuation));
        Assert.True(tokenizer.IsSpecial(0) && tokenizer.IsSpecial(4));
        Assert.Equal("-", tokenizer.TokenText(9));
        Assert.True(TokenDropFilter.IsPunctuation(tokenizer.TokenText(9)));
        Assert.False(TokenDropFilter.IsPunctuation(tokenizer.TokenText(11)));
    }

    [Fact]
    public void WordPiece_StopWords_AreWholeWordsOnTheList_NotPiecesOfLongerWords()
    {
        var tokenizer = WordPiece("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "is", "on", "mat", "##n", "a", "##t", ".", "The");
        // [CLS] the cat is on the ##n mat a ##t . [SEP]: "the" before "##n" starts "then", "a" before "##t" starts "at"
        // as split here; neither is the whole word, so both stay. Upper case matches too (an uncased vocabulary lowers
        // it first; a cased one keeps "The").
        var ids = tokenizer.Encode("the cat is on then mat at.", 32);
        Assert.Equal([2L, 5, 6, 7, 8, 5, 10, 9, 11, 12, 13, 3], ids);

        Assert.Equal([true, false, true, false, false, true, true, true, true, true, true, true], TokenDropFilter.Keep(ids, tokenizer, TokenDrop.StopWords));
        Assert.Equal([false, false, true, false, false, true, true, true, true, true, false, false], TokenDropFilter.Keep(ids, tokenizer, TokenDrop.Special | TokenDrop.Punctuation | TokenDrop.StopWords));
        Assert.True(tokenizer.ContinuesWord(10));
        Assert.False(tokenizer.ContinuesWord(5));
        Assert.False(tokenizer.ContinuesWord(2));
        Assert.True(TokenDropFilter.IsStopWord([14L], 0, tokenizer));
        Assert.True(EnglishStopWords.Contains("WHICH"));
        Assert.False(EnglishStopWords.Contains("cat"));
    }

    [Fact]
    public void WordPiece_WithoutPadOrMask_UnknownIsNoSpecialToken()
    {
        // [UNK] stands in for the missing [PAD]/[MASK] inside the library; it still stands for a word.
        var tokenizer = WordPiece("[UNK]", "[CLS]", "[SEP]", "the");
        Assert.False(tokenizer.IsSpecial(0));
        Assert.Equal([false, true, true, false], TokenDropFilter.Keep(tokenizer.Encode("the zebra", 8), tokenizer, TokenDrop.Special));
    }

    [Fact]
    public void SentencePiece_SentenceMarksAreSpecial_WordMarkIsStrippedFromTheText()
    {
        var pieces = UnigramPieces();
        var tokenizer = SentencePieceTextTokenizer.Load(Unigram(), new TextSettings { Tokenizer = TokenizerKind.SentencePiece, AddBeginningOfSentence = true });
        var ids = tokenizer.Encode("query : the cat", 16); // <s> ▁query ▁: ▁the ▁cat </s>
        Assert.Equal([1L, IdOf(pieces, Mark + "query"), IdOf(pieces, Mark + ":"), IdOf(pieces, Mark + "the"), IdOf(pieces, Mark + "cat"), 2], ids);
        Assert.Equal(":", tokenizer.TokenText(ids[2]));
        Assert.Equal([false, true, false, true, true, false], TokenDropFilter.Keep(ids, tokenizer, TokenDrop.Special | TokenDrop.Punctuation));
        // ▁the starts a word and ▁cat starts the next: "the" is a whole word on the stop list.
        Assert.Equal([false, true, false, false, true, false], TokenDropFilter.Keep(ids, tokenizer, TokenDrop.Special | TokenDrop.Punctuation | TokenDrop.StopWords));
        Assert.All(ids, id => Assert.False(tokenizer.ContinuesWord(id)));
    }

    [Fact]
    public void Markers_GoRightAfterCls_AndCountAgainstTheLength()
    {
        var tokenizer = WordPiece("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[unused0]", "[unused1]", "the", "cat", "sat");
        var preprocessor = new TextPreprocessor(tokenizer, new TextSettings { QueryMarker = "[unused0]", DocumentMarker = "[unused1]" }, 4);

        Assert.Equal([2L, 4, 6, 3], preprocessor.Prepare(new TextInput("the cat sat"), isQuery: true, FieldPath.Of("input")).TokenIds!);
        Assert.Equal([2L, 5, 6, 3], preprocessor.Prepare(new TextInput("the cat sat"), isQuery: false, FieldPath.Of("input")).TokenIds!);

        var unknown = Assert.Throws<RetrievalException>(() => new TextPreprocessor(tokenizer, new TextSettings { DocumentMarker = "[D]" }, 8));
        Assert.Equal(FieldPath.Of("descriptor").Member("text").Member("document_marker"), unknown.Path);
    }
}
