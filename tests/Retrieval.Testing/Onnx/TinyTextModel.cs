using System.Text;

namespace Retrieval.Testing.Onnx;

/// <summary>
/// A BERT-shaped text model: token states = tanh(Embedding[input_ids] · W) × attention_mask, output
/// <c>last_hidden_state [batch, tokens, 6]</c>; the server pools (masked mean) and normalizes. The same math
/// is done here in plain C# from token ids.
/// </summary>
public sealed class TinyTextModel
{
    public const int Hidden = 5;
    public const int Dim = 6;

    public static readonly string[] Vocabulary =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "cat", "dog", "sat", "on", "mat", "bird", "flew",
        "over", "house", "run", "##s", "##ning", "play", "##ed", "red", "blue", "car", "fast", ".", ",", "query", ":",
    ];

    /// <param name="seed">Seeds the embedding table and projection.</param>
    /// <param name="vocabularySize">Rows of the embedding table; default the WordPiece <see cref="Vocabulary"/>'s size
    /// (a SentencePiece model passes its piece count).</param>
    public TinyTextModel(int seed = 11, int vocabularySize = 0)
    {
        VocabularySize = vocabularySize > 0 ? vocabularySize : Vocabulary.Length;
        var random = new Random(seed);
        Embeddings = Enumerable.Range(0, VocabularySize * Hidden).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        W = Enumerable.Range(0, Hidden * Dim).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
    }

    public int VocabularySize { get; }

    public float[] Embeddings { get; }

    public float[] W { get; }

    public static byte[] VocabularyBytes => Encoding.UTF8.GetBytes(string.Join('\n', Vocabulary) + "\n");

    public byte[] Model(string outputName = "last_hidden_state") => new OnnxGraph()
        .Input("input_ids", OnnxGraph.Int64, "batch", "tokens")
        .Input("attention_mask", OnnxGraph.Int64, "batch", "tokens")
        .Initializer("E", Embeddings, VocabularySize, Hidden)
        .Initializer("W", W, Hidden, Dim)
        .Initializer("axes", [-1L], 1)
        .Node("Gather", ["E", "input_ids"], "emb")
        .Node("MatMul", ["emb", "W"], "proj")
        .Node("Tanh", ["proj"], "states")
        .Node("Cast", ["attention_mask"], "maskf", OnnxGraph.IntAttribute("to", OnnxGraph.Float))
        .Node("Unsqueeze", ["maskf", "axes"], "mask3")
        .Node("Mul", ["states", "mask3"], outputName)
        .Output(outputName, OnnxGraph.Float, "batch", "tokens", Dim)
        .ToBytes();

    /// <summary>Masked mean of the token states, L2-normalized.</summary>
    public float[] Expected(IReadOnlyList<int> tokenIds)
    {
        var mean = new double[Dim];
        foreach (var id in tokenIds)
        {
            for (var j = 0; j < Dim; j++)
            {
                double sum = 0;
                for (var h = 0; h < Hidden; h++)
                {
                    sum += Embeddings[(id * Hidden) + h] * W[(h * Dim) + j];
                }

                mean[j] += Math.Tanh(sum) / tokenIds.Count;
            }
        }

        var norm = Math.Sqrt(mean.Sum(v => v * v));
        return mean.Select(v => (float)(v / norm)).ToArray();
    }
}
