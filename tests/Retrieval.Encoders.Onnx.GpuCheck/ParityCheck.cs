using System.Globalization;
using System.Text;

namespace Retrieval.Encoders.Onnx.GpuCheck;

/// <summary>
/// CPU and CUDA must produce the same vectors up to floating-point reassociation (and TF32 matrix products, which
/// ONNX Runtime's CUDA provider allows by default): cosine ≥ 0.999 between the two outputs of every item, and every
/// item equal whether it ran alone or in a batch.
/// </summary>
public sealed record ParityCheck(bool Passed, IReadOnlyList<string> Lines)
{
    public const double MinCosine = 0.999;

    public static ParityCheck Run(EncoderPair pair, CheckInputs inputs, int[] batchSizes)
    {
        var lines = new List<string>();
        var passed = true;
        foreach (var size in batchSizes)
        {
            var batch = inputs.Batch(size, offset: 0);
            var cpu = pair.Cpu.Run(batch, CancellationToken.None);
            var cuda = pair.Cuda.Run(batch, CancellationToken.None);
            var single = pair.Cuda.Run(batch.Take(1).ToList(), CancellationToken.None);
            var minCosine = cpu.Zip(cuda).Min(p => Cosine(p.First.Values, p.Second.Values));
            var maxDiff = cpu.Zip(cuda).Max(p => p.First.Values.Zip(p.Second.Values).Max(v => Math.Abs(v.First - v.Second)));
            var batchVsSingle = Cosine(single[0].Values, cuda[0].Values);
            var ok = minCosine >= MinCosine && batchVsSingle >= MinCosine;
            passed &= ok;
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"parity batch {size,2}: min cosine CPU vs second provider {minCosine:F6}, max |diff| {maxDiff:E2}, second provider batch vs single {batchVsSingle:F6} -> {(ok ? "ok" : "FAIL")}"));
        }

        return new ParityCheck(passed, lines);
    }

    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var line in Lines)
        {
            text.AppendLine(line);
        }

        return text.Append(Passed ? "parity: ok" : "parity: FAILED").ToString();
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
