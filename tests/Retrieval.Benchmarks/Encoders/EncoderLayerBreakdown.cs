using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Retrieval.Contracts.V1;
using Retrieval.Encoders.Onnx.Registry;
using Retrieval.Testing.Server;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>
/// Where a one-request cost goes between raw ONNX Runtime and the Encode RPC: the same inputs through (1) the raw
/// session, (2) the server's <see cref="EncoderRegistry"/> called in process (preprocessing, the micro-batcher, the
/// server's session, pooling; no RPC) and (3) the gRPC Encode call, interleaved request by request so load drifts hit
/// all three alike. Reports median wall time and mean process CPU per request of each layer.
/// </summary>
internal static class EncoderLayerBreakdown
{

    public static async Task RunAsync(InProcessServer server, BenchmarkedModel model, RawOrtRunner raw, int batch, int requests)
    {
        var registry = server.Services.GetRequiredService<EncoderRegistry>();
        var layers = new[] { "raw ORT", "registry (in process)", "gRPC Encode" };
        var wall = layers.Select(_ => new List<double>()).ToArray();
        var cpu = new double[layers.Length];
        var warmup = Stopwatch.StartNew();
        var round = 0;
        var warmupRounds = await JitWarmup.RunAsync(() => RoundAsync(round++, record: false), minRounds: 16, quietRounds: 30, TimeSpan.FromSeconds(120));
        for (var r = 0; r < requests; r++)
        {
            await RoundAsync(r, record: true);
        }

        async Task RoundAsync(int r, bool record)
        {
            var indices = Enumerable.Range(r * batch, batch).Select(i => i % model.Inputs.Count).ToArray();
            for (var turn = 0; turn < layers.Length; turn++)
            {
                // Rotate which layer goes first so none always follows the same neighbour.
                var layer = (turn + r) % layers.Length;
                var cpuBefore = ProcessCpu.Milliseconds();
                var clock = Stopwatch.StartNew();
                switch (layer)
                {
                    case 0:
                        raw.Run(indices.Select(i => model.Prepared[i]).ToArray());
                        break;
                    case 1:
                        await registry.EncodeAsync(model.Name, null, indices.Select(i => model.RawInputs[i]).ToArray(), isQuery: false, CancellationToken.None);
                        break;
                    default:
                        var request = new EncodeRequest { Name = model.Name };
                        request.Inputs.Add(indices.Select(i => model.Inputs[i]));
                        await EncoderBenchmark.EncodeAsync(server, request, model.Descriptor.Dimension);
                        break;
                }

                if (record)
                {
                    wall[layer].Add(clock.Elapsed.TotalMilliseconds);
                    cpu[layer] += ProcessCpu.Milliseconds() - cpuBefore;
                }
            }
        }

        Console.WriteLine($"  layers at batch {batch} ({requests} requests each, interleaved, after {warmupRounds} warm-up rounds in {warmup.Elapsed.TotalSeconds:F0} s):");
        for (var layer = 0; layer < layers.Length; layer++)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"    {layers[layer],-22} p50 {Percentiles.Median(wall[layer]),7:F2} ms  mean {wall[layer].Average(),7:F2} ms  CPU {cpu[layer] / requests,7:F2} ms per request"));
        }
    }
}
