using System.Text;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Preprocessing;

namespace Retrieval.Encoders.Onnx.Tests.Preprocessing;

/// <summary>Which special tokens a WordPiece vocabulary needs: [UNK], [CLS] and [SEP]; [PAD] and [MASK] are optional.</summary>
public sealed class WordPieceTextTokenizerTests
{
    private static readonly TextSettings Settings = new();

    private static WordPieceTextTokenizer Load(params string[] vocabulary) =>
        WordPieceTextTokenizer.Load(Encoding.UTF8.GetBytes(string.Join('\n', vocabulary) + "\n"), Settings);

    [Fact]
    public void VocabularyWithoutMaskOrPad_Loads_AndEncodesLikeOneWithThem()
    {
        // The same words at the same ids; only the unused special tokens differ.
        var full = Load("[UNK]", "[CLS]", "[SEP]", "the", "cat", "sat", "##s", "[PAD]", "[MASK]");
        var minimal = Load("[UNK]", "[CLS]", "[SEP]", "the", "cat", "sat", "##s");

        long[] expected = [1, 3, 4, 6, 5, 0, 2];
        Assert.Equal(expected, full.Encode("the cats sat zebra", 16));
        Assert.Equal(expected, minimal.Encode("the cats sat zebra", 16));
    }

    [Fact]
    public void VocabularyWithCrLfLines_FindsItsSpecialTokens()
    {
        var tokenizer = WordPieceTextTokenizer.Load(Encoding.UTF8.GetBytes("[UNK]\r\n[CLS]\r\n[SEP]\r\ncat\r\n"), Settings);

        Assert.Equal([1L, 3, 2], tokenizer.Encode("cat", 16));
    }

    [Fact]
    public void VocabularyWithoutClassificationToken_IsInvalidArgumentNamingTheVocabulary()
    {
        var error = Assert.Throws<RetrievalException>(() => Load("[UNK]", "[SEP]", "cat"));

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("vocabulary", error.Message, StringComparison.Ordinal);
    }
}
