using System.Globalization;
using Retrieval.Core.Model;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Registry;

namespace Retrieval.Encoders.Onnx.GpuCheck;

/// <summary>The command line: which model to check, described exactly as a user would register it.</summary>
public sealed record CheckArguments(EncoderPackage Package, int[] ItemShape, bool RequireCuda, bool CompareAnyway, double Seconds)
{
    public static CheckArguments Parse(string[] args)
    {
        var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        var requireCuda = args.Contains("--require-cuda");
        var compareAnyway = args.Contains("--compare-anyway");
        var seconds = 3.0;
        var secondsAt = Array.IndexOf(args, "--seconds");
        if (secondsAt >= 0)
        {
            if (secondsAt + 1 >= args.Length || !double.TryParse(args[secondsAt + 1], CultureInfo.InvariantCulture, out seconds) || seconds <= 0)
            {
                throw new ArgumentException("--seconds needs a positive number");
            }

            positional.Remove(args[secondsAt + 1]);
        }

        if (positional.Count != 6 || positional[0] is not ("tensor" or "text"))
        {
            throw new ArgumentException("usage: gpucheck tensor MODEL INPUT OUTPUT DIM SHAPE | gpucheck text MODEL VOCAB OUTPUT DIM POOLING [--require-cuda] [--compare-anyway] [--seconds S]");
        }

        var model = File.ReadAllBytes(positional[1]);
        // Both kinds normalize their vectors; they differ in input kind, model inputs and pooling.
        var common = new EncoderDescriptor
        {
            Name = $"gpucheck-{positional[0]}",
            Version = "1",
            Dimension = int.Parse(positional[4], CultureInfo.InvariantCulture),
            Metric = Metric.Cosine,
            InputKind = EncoderInputKind.Tensor,
            OutputName = positional[3],
            Normalize = true,
        };
        if (positional[0] == "tensor")
        {
            var shape = positional[5].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            var tensor = common with { InputName = positional[2] };
            return new CheckArguments(new EncoderPackage(tensor, model, null), shape, requireCuda, compareAnyway, seconds);
        }

        var text = common with
        {
            InputKind = EncoderInputKind.Text,
            Pooling = Enum.Parse<Pooling>(positional[5], ignoreCase: true),
            Text = new TextSettings { TokenTypeIdsName = "token_type_ids" },
        };
        return new CheckArguments(new EncoderPackage(text, model, File.ReadAllBytes(positional[2])), [], requireCuda, compareAnyway, seconds);
    }
}
