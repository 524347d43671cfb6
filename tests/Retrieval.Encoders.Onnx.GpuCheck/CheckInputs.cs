using System.Text;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Inputs;
using Retrieval.Encoders.Onnx.Preprocessing;

namespace Retrieval.Encoders.Onnx.GpuCheck;

/// <summary>
/// Seeded inputs prepared by the encoder's own preprocessing: Gaussian tensors, or texts of 4–40 words drawn from the
/// vocabulary's whole words (so every length bucket and the padding path run).
/// </summary>
public sealed class CheckInputs(IInputPreprocessor preprocessor, CheckArguments arguments, int seed)
{
    private readonly string[] _words = arguments.Package.Vocabulary is { } vocabulary
        ? Encoding.UTF8.GetString(vocabulary).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(w => !w.StartsWith('[') && !w.StartsWith("##", StringComparison.Ordinal) && w.All(char.IsLetter)).ToArray()
        : [];

    /// <summary>Item <paramref name="offset"/>, <paramref name="offset"/> + 1, … — the same items on every call.</summary>
    public IReadOnlyList<PreparedInput> Batch(int size, int offset) =>
        Enumerable.Range(offset, size).Select(Item).ToList();

    private PreparedInput Item(int index)
    {
        var random = new Random(seed + index);
        if (_words.Length > 0)
        {
            var text = string.Join(' ', Enumerable.Range(0, random.Next(4, 41)).Select(_ => _words[random.Next(_words.Length)]));
            return preprocessor.Prepare(new TextInput(text), isQuery: false, FieldPath.Of("text"));
        }

        var count = arguments.ItemShape.Aggregate(1, (a, b) => a * b);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return preprocessor.Prepare(new TensorInput(arguments.ItemShape, values), isQuery: false, FieldPath.Of("tensor"));
    }
}
