using System.Diagnostics;
using Retrieval.Encoders.Onnx.Inputs;
using Retrieval.Encoders.Onnx.Runtime;

namespace Retrieval.Encoders.Onnx.GpuCheck;

/// <summary>Runs one prepared batch back to back for a fixed time after a warm-up; the rate counts items, not runs.</summary>
public sealed record ThroughputRun(double ItemsPerSecond, double P50Milliseconds, double P99Milliseconds, int Runs)
{
    public static ThroughputRun Measure(OnnxEncoder encoder, IReadOnlyList<PreparedInput> batch, TimeSpan duration)
    {
        for (var i = 0; i < 3; i++)
        {
            encoder.Run(batch, CancellationToken.None);
        }

        var latencies = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed < duration || latencies.Count < 5)
        {
            var run = Stopwatch.GetTimestamp();
            encoder.Run(batch, CancellationToken.None);
            latencies.Add(Stopwatch.GetElapsedTime(run).TotalMilliseconds);
        }

        var seconds = total.Elapsed.TotalSeconds;
        latencies.Sort();
        return new ThroughputRun(
            latencies.Count * batch.Count / seconds,
            latencies[latencies.Count / 2],
            latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(latencies.Count * 0.99) - 1)],
            latencies.Count);
    }
}
