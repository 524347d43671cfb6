using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Retrieval.Benchmarks.MultiVector;

/// <summary>
/// The single-core FMA roof: 10 independent Vector256 FMA chains (enough to cover a 4-cycle latency at 2 FMAs per
/// cycle), so the loop runs at the core's peak multiply-add rate.
/// </summary>
internal static class FmaRoof
{
    /// <summary>Best of <paramref name="trials"/> runs, in float multiply-adds per second.</summary>
    public static double MeasureMultiplyAddsPerSecond(int trials = 3, long iterations = 100_000_000)
    {
        var best = 0.0;
        for (var trial = 0; trial < trials; trial++)
        {
            var start = ProcessCpuSeconds();
            var sink = Run(iterations);
            var seconds = ProcessCpuSeconds() - start;
            GC.KeepAlive(sink);
            best = Math.Max(best, 10.0 * Vector256<float>.Count * iterations / seconds);
        }

        return best;
    }

    /// <summary>User + system CPU seconds of this process so far.</summary>
    public static double ProcessCpuSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static float Run(long iterations)
    {
        var m = Vector256.Create(0.9999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Step(a0, m, c);
            a1 = Step(a1, m, c);
            a2 = Step(a2, m, c);
            a3 = Step(a3, m, c);
            a4 = Step(a4, m, c);
            a5 = Step(a5, m, c);
            a6 = Step(a6, m, c);
            a7 = Step(a7, m, c);
            a8 = Step(a8, m, c);
            a9 = Step(a9, m, c);
        }

        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9);
    }

    private static Vector256<float> Step(Vector256<float> a, Vector256<float> m, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, m, c) : (a * m) + c;
}
