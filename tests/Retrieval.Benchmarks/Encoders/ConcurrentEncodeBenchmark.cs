using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Server;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>
/// What the micro-batcher is for: many clients each sending one input per Encode request at the same time. The server
/// gathers whatever queued while its previous run went into the next run (up to the descriptor's max batch). Peers in
/// the same run: raw ORT one input per run (what the server would do without a batcher) and raw ORT at the batcher's
/// largest batch (the best it could reach). Rounds rotate the order of the three sides; medians are reported.
/// </summary>
internal static class ConcurrentEncodeBenchmark
{
    public const string Header =
        "| model | clients × 1 input | items per side and round | server items/s | raw ORT b1 items/s | raw ORT b32 items/s | server / raw b1 | server / raw b32 | server p50 / p99 ms | CPU ms per item server / b1 / b32 |\n" +
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

    public static async Task<string> RunAsync(InProcessServer server, BenchmarkedModel model, RawOrtRunner raw, int clients, int items, int rounds)
    {
        var maxBatch = model.Descriptor.MaxBatch;
        var serverRates = new List<double>();
        var singleRates = new List<double>();
        var batchedRates = new List<double>();
        var latencies = new ConcurrentBag<double>();
        double serverCpu = 0, singleCpu = 0, batchedCpu = 0;

        // Warm-up: one concurrent wave through the server, one batch through raw ORT.
        await ServerAsync(server, model, clients, Math.Min(items, clients), []);
        raw.Run(Enumerable.Range(0, Math.Min(maxBatch, items)).Select(i => model.Prepared[i % model.Prepared.Count]).ToArray());

        for (var round = 0; round < rounds; round++)
        {
            for (var turn = 0; turn < 3; turn++)
            {
                var cpu = ProcessCpu.Milliseconds();
                var clock = Stopwatch.StartNew();
                switch ((round + turn) % 3)
                {
                    case 0:
                        await ServerAsync(server, model, clients, items, latencies);
                        serverRates.Add(items / clock.Elapsed.TotalSeconds);
                        serverCpu += ProcessCpu.Milliseconds() - cpu;
                        break;
                    case 1:
                        for (var i = 0; i < items; i++)
                        {
                            raw.Run([model.Prepared[i % model.Prepared.Count]]);
                        }

                        singleRates.Add(items / clock.Elapsed.TotalSeconds);
                        singleCpu += ProcessCpu.Milliseconds() - cpu;
                        break;
                    default:
                        for (var start = 0; start < items; start += maxBatch)
                        {
                            raw.Run(Enumerable.Range(start, Math.Min(maxBatch, items - start)).Select(i => model.Prepared[i % model.Prepared.Count]).ToArray());
                        }

                        batchedRates.Add(items / clock.Elapsed.TotalSeconds);
                        batchedCpu += ProcessCpu.Milliseconds() - cpu;
                        break;
                }
            }

            Console.WriteLine(Inv($"  concurrent round {round + 1}: server {serverRates[^1]:F1}  raw b1 {singleRates[^1]:F1}  raw b{maxBatch} {batchedRates[^1]:F1} items/s  load {EncoderBenchmark.LoadAverage()}"));
        }

        double serverRate = Percentiles.Median(serverRates), single = Percentiles.Median(singleRates), batched = Percentiles.Median(batchedRates);
        var perItem = (double)items * rounds;
        var all = latencies.ToArray();
        Console.WriteLine(Inv($"  {clients} clients × 1 input, {items} items per side and round, median of {rounds}: server {serverRate:F1}  raw b1 {single:F1}  raw b{maxBatch} {batched:F1} items/s"));
        return Inv(
            $"| {model.Name} | {clients} | {items} | {serverRate:F1} | {single:F1} | {batched:F1} | **{serverRate / single:F2}** | **{serverRate / batched:F2}** | {Percentiles.NearestRank(all, 50):F1} / {Percentiles.NearestRank(all, 99):F1} | {serverCpu / perItem:F1} / {singleCpu / perItem:F1} / {batchedCpu / perItem:F1} |");
    }

    /// <summary><paramref name="clients"/> tasks, each sending one-input requests until <paramref name="items"/> are encoded.</summary>
    private static async Task ServerAsync(InProcessServer server, BenchmarkedModel model, int clients, int items, ConcurrentBag<double> latencies)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < items; i = Interlocked.Increment(ref next))
            {
                var request = new EncodeRequest { Name = model.Name, Inputs = { model.Inputs[i % model.Inputs.Count] } };
                var clock = Stopwatch.StartNew();
                await EncoderBenchmark.EncodeAsync(server, request, model.Descriptor.Dimension);
                latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
        }));
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
