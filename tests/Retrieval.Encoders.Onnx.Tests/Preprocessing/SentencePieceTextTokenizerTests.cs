using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Preprocessing;
using static Retrieval.Testing.Tokenizers.SentencePieceModelFile;

namespace Retrieval.Encoders.Onnx.Tests.Preprocessing;

/// <summary>SentencePiece models the tests write themselves, read through Microsoft.ML.Tokenizers: known pieces, options, bad files.</summary>
public sealed class SentencePieceTextTokenizerTests
{
    private static readonly IReadOnlyList<Piece> Pieces = UnigramPieces();
    private static readonly TextSettings Settings = new() { Tokenizer = TokenizerKind.SentencePiece };

    private static int Id(string piece) => IdOf(Pieces, piece);

    private static SentencePieceTextTokenizer Load(TextSettings? settings = null) => SentencePieceTextTokenizer.Load(Unigram(), settings ?? Settings);

    [Fact]
    public void Unigram_KnownWordsComeOutWhole_UnknownWordsLetterByLetter_EndOfSentenceAppended()
    {
        var tokens = Load().Encode("the cats sat on the zebra", 64);

        long[] expected =
        [
            Id(Mark + "the"), Id(Mark + "cat"), Id("s"), Id(Mark + "sat"), Id(Mark + "on"), Id(Mark + "the"),
            Id(Mark), Id("z"), Id("e"), Id("b"), Id("r"), Id("a"), 2,
        ];
        Assert.Equal(expected, tokens);
    }

    [Fact]
    public void Unigram_RoundTripsThroughDecode_AndNormalizesWhitespace()
    {
        var tokenizer = Load();
        var tokens = tokenizer.Encode("the red car flew over the house", 64);

        Assert.Equal("the red car flew over the house", tokenizer.Tokenizer.Decode(tokens[..^1].Select(t => (int)t)));
        Assert.Equal(tokens, tokenizer.Encode("  the red   car flew over  the house ", 64));
    }

    [Fact]
    public void Truncation_KeepsTheSpecialTokens()
    {
        var withBos = Load(Settings with { AddBeginningOfSentence = true });

        Assert.Equal([Id(Mark + "the"), Id(Mark + "cat"), Id(Mark + "sat"), 2], Load().Encode("the cat sat on the mat", 4));
        Assert.Equal([1, Id(Mark + "the"), Id(Mark + "cat"), 2], withBos.Encode("the cat sat on the mat", 4));
        Assert.Equal([1, 2], withBos.Encode("", 4));
    }

    [Fact]
    public void Bpe_MergesByScore()
    {
        var tokenizer = SentencePieceTextTokenizer.Load(Bpe(), Settings with { AddEndOfSentence = false });

        // ▁t+he → ▁the and ▁c+at → ▁cat: ids 7 and 8 of the BPE model.
        Assert.Equal([7, 8], tokenizer.Encode("the cat", 16));
    }

    [Fact]
    public void TextTokenizers_PicksTheKindTheSettingsName()
    {
        Assert.IsType<SentencePieceTextTokenizer>(TextTokenizers.Load(Unigram(), Settings));
        Assert.IsType<WordPieceTextTokenizer>(TextTokenizers.Load(Retrieval.Testing.Onnx.TinyTextModel.VocabularyBytes, new TextSettings()));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("random")]
    [InlineData("truncated")]
    [InlineData("word-model")]
    public void BadFile_IsInvalidArgumentNamingVocabulary(string kind)
    {
        var file = kind switch
        {
            "text" => System.Text.Encoding.UTF8.GetBytes("[PAD]\n[UNK]\nthe\ncat\n"),
            "random" => RandomBytes(),
            "truncated" => Unigram()[..40],
            _ => Write(Pieces, (ModelType)3),
        };

        var error = Assert.Throws<RetrievalException>(() => SentencePieceTextTokenizer.Load(file, Settings));

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(FieldPath.Of("vocabulary"), error.Path);
    }

    [Fact]
    public void BeginningOfSentenceAskedFor_ModelWithoutOne_IsInvalidArgumentNamingAddBos()
    {
        var error = Assert.Throws<RetrievalException>(() =>
            SentencePieceTextTokenizer.Load(Bpe(withBos: false), Settings with { AddBeginningOfSentence = true }));

        Assert.Equal(FieldPath.Of("descriptor").Member("text").Member("add_bos"), error.Path);
        Assert.Equal([7, 8, 2], SentencePieceTextTokenizer.Load(Bpe(withBos: false), Settings).Encode("the cat", 8));
    }

    [Fact]
    public void UnigramWithoutBeginningOfSentence_TheLibraryCannotRead_IsInvalidArgumentSayingWhy()
    {
        var error = Assert.Throws<RetrievalException>(() => SentencePieceTextTokenizer.Load(Unigram(withBos: false), Settings));

        Assert.Equal(FieldPath.Of("vocabulary"), error.Path);
        Assert.Contains("bos_id", error.Message, StringComparison.Ordinal);
    }

    private static byte[] RandomBytes()
    {
        var bytes = new byte[256];
        new Random(3).NextBytes(bytes);
        return bytes;
    }
}
