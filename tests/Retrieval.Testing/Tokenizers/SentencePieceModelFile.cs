using Google.Protobuf;

namespace Retrieval.Testing.Tokenizers;

/// <summary>
/// SentencePiece model files (the <c>sentencepiece.ModelProto</c> protobuf a trainer writes as <c>.model</c>) that
/// tests build themselves: pieces with scores and types, a trainer spec naming the model type and the special
/// pieces, and an identity normalizer spec (no precompiled charsmap) that adds the dummy prefix, removes extra
/// whitespace and escapes spaces as U+2581. Written field by field with Google.Protobuf's coded stream, from the
/// field numbers of sentencepiece_model.proto, so the tests do not lean on the tokenizer library's own copy.
/// </summary>
public static class SentencePieceModelFile
{
    /// <summary>SentencePiece's whitespace mark.</summary>
    public const string Mark = "\u2581";

    public enum ModelType
    {
        Unigram = 1,
        Bpe = 2,
    }

    public enum PieceType
    {
        Normal = 1,
        Unknown = 2,
        Control = 3,
    }

    public sealed record Piece(string Text, float Score, PieceType Type = PieceType.Normal);

    /// <summary>
    /// A unigram model: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt; at ids 0, 1, 2, whole words with good scores, the suffix
    /// <c>s</c>, the bare space mark and every other lower-case letter with poor ones, so known words come out whole and
    /// other words letter by letter. Its piece list is <see cref="UnigramPieces"/>.
    /// </summary>
    /// <param name="withBos">False: id 1 is an unused control piece and the trainer spec's bos_id is -1 (as T5's models).</param>
    public static byte[] Unigram(bool withBos = true) => Write(UnigramPieces(withBos), ModelType.Unigram, bosId: withBos ? 1 : -1);

    public static IReadOnlyList<Piece> UnigramPieces(bool withBos = true)
    {
        var pieces = new List<Piece>
        {
            new("<unk>", 0, PieceType.Unknown),
            new(withBos ? "<s>" : "<unused>", 0, PieceType.Control),
            new("</s>", 0, PieceType.Control),
        };
        string[] words = ["the", "cat", "dog", "sat", "on", "mat", "a", "bird", "flew", "over", "house", "red", "car", "query", ":"];
        pieces.AddRange(words.Select((w, i) => new Piece(Mark + w, -2f - (0.1f * i))));
        pieces.Add(new Piece("s", -3f));
        pieces.Add(new Piece(Mark, -4f));
        pieces.AddRange(Enumerable.Range('a', 26).Where(c => c != 's').Select(c => new Piece(((char)c).ToString(), -8f)));
        return pieces;
    }

    /// <summary>
    /// A BPE model whose merges build <c>▁the</c> from <c>▁t</c> + <c>he</c> and <c>▁cat</c> from <c>▁c</c> + <c>at</c>
    /// (higher score = earlier merge).
    /// </summary>
    /// <param name="withBos">False: id 1 is an unused control piece and the trainer spec's bos_id is -1 (no &lt;s&gt;).</param>
    public static byte[] Bpe(bool withBos = true) => Write(
        [
            new("<unk>", 0, PieceType.Unknown), new(withBos ? "<s>" : "<unused>", 0, PieceType.Control), new("</s>", 0, PieceType.Control),
            new(Mark + "t", -1), new("he", -2), new(Mark + "c", -3), new("at", -4), new(Mark + "the", -5), new(Mark + "cat", -6),
            new(Mark, -7), new("t", -8), new("h", -9), new("e", -10), new("c", -11), new("a", -12),
        ],
        ModelType.Bpe,
        bosId: withBos ? 1 : -1);

    public static byte[] Write(IReadOnlyList<Piece> pieces, ModelType type, int bosId = 1, int eosId = 2)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        return Message(output =>
        {
            foreach (var piece in pieces)
            {
                WriteMessage(output, 1, p =>
                {
                    p.WriteTag(1, WireFormat.WireType.LengthDelimited);
                    p.WriteString(piece.Text);
                    p.WriteTag(2, WireFormat.WireType.Fixed32);
                    p.WriteFloat(piece.Score);
                    p.WriteTag(3, WireFormat.WireType.Varint);
                    p.WriteEnum((int)piece.Type);
                });
            }

            // TrainerSpec: model_type 3, vocab_size 4, unk/bos/eos/pad ids 40–43, unk/bos/eos pieces 45–47.
            WriteMessage(output, 2, t =>
            {
                t.WriteTag(3, WireFormat.WireType.Varint);
                t.WriteEnum((int)type);
                t.WriteTag(4, WireFormat.WireType.Varint);
                t.WriteInt32(pieces.Count);
                t.WriteTag(40, WireFormat.WireType.Varint);
                t.WriteInt32(0);
                t.WriteTag(41, WireFormat.WireType.Varint);
                t.WriteInt32(bosId);
                t.WriteTag(42, WireFormat.WireType.Varint);
                t.WriteInt32(eosId);
                t.WriteTag(43, WireFormat.WireType.Varint);
                t.WriteInt32(-1);
                t.WriteTag(45, WireFormat.WireType.LengthDelimited);
                t.WriteString("<unk>");
                t.WriteTag(46, WireFormat.WireType.LengthDelimited);
                t.WriteString("<s>");
                t.WriteTag(47, WireFormat.WireType.LengthDelimited);
                t.WriteString("</s>");
            });

            // NormalizerSpec: name 1, add_dummy_prefix 3, remove_extra_whitespaces 4, escape_whitespaces 5.
            WriteMessage(output, 3, n =>
            {
                n.WriteTag(1, WireFormat.WireType.LengthDelimited);
                n.WriteString("identity");
                n.WriteTag(3, WireFormat.WireType.Varint);
                n.WriteBool(true);
                n.WriteTag(4, WireFormat.WireType.Varint);
                n.WriteBool(true);
                n.WriteTag(5, WireFormat.WireType.Varint);
                n.WriteBool(true);
            });
        });
    }

    /// <summary>Id of a piece in <paramref name="pieces"/> (the model's token id).</summary>
    public static int IdOf(IReadOnlyList<Piece> pieces, string text)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        for (var i = 0; i < pieces.Count; i++)
        {
            if (pieces[i].Text == text)
            {
                return i;
            }
        }

        throw new ArgumentException($"no piece '{text}'", nameof(text));
    }

    private static void WriteMessage(CodedOutputStream output, int field, Action<CodedOutputStream> write)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(Message(write)));
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
        {
            write(output);
        }

        return buffer.ToArray();
    }
}
