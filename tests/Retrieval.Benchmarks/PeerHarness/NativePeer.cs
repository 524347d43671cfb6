using System.Diagnostics;
using System.Globalization;

namespace Retrieval.Benchmarks.PeerHarness;

/// <summary>
/// An in-process HNSW library built for this CPU by peers/build-native.sh (hnswlib, Faiss): the driver binary builds
/// (or loads) its graph from the same data folder and prints one line per efSearch with recall@10, single-thread QPS
/// and per-query latency percentiles. The graph is built and saved before the timed window and only loaded in it.
/// </summary>
internal sealed class NativePeer(string library, string binary, string dataFolder, int m, int efConstruction)
{
    public string Library { get; } = library;

    public string Name => $"{Library} in process, -march=native{(Library == "faiss" ? " (AVX2 library)" : string.Empty)}";

    private string IndexPath => Path.Combine(dataFolder, string.Create(CultureInfo.InvariantCulture, $"{Library}-M{m}-efc{efConstruction}.index"));

    /// <summary>The driver for <paramref name="library"/> in <paramref name="binaryFolder"/>, or null when it was not built.</summary>
    public static NativePeer? Find(string library, string binaryFolder, string dataFolder, int m, int efConstruction)
    {
        var binary = Path.Combine(binaryFolder, $"hnsw_native_{library}");
        return File.Exists(binary) ? new NativePeer(library, binary, dataFolder, m, efConstruction) : null;
    }

    /// <summary>Builds and saves the graph unless a saved one exists (outside the timed window).</summary>
    public async Task BuildAsync(TextWriter log)
    {
        foreach (var line in await RunAsync(["--index", IndexPath, "--build-only"]))
        {
            await log.WriteLineAsync(line);
        }
    }

    /// <summary>Loads the saved graph and sweeps efSearch: one point per ef (the median-QPS pass of <paramref name="passes"/>).</summary>
    public async Task<List<SweepPoint>> SweepAsync(IReadOnlyList<int> efs, int passes, TextWriter log)
    {
        var points = new List<SweepPoint>();
        foreach (var line in await RunAsync(["--index", IndexPath, "--ef", string.Join(',', efs), "--passes", passes.ToString(CultureInfo.InvariantCulture)]))
        {
            if (line.StartsWith('#'))
            {
                await log.WriteLineAsync(line);
                continue;
            }

            // peer=<name> ef=<ef> recall=<r> qps=<q> p50_ms=<p50> p99_ms=<p99>
            var fields = line.Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);
            double Number(string key) => double.Parse(fields[key], CultureInfo.InvariantCulture);
            points.Add(new SweepPoint((int)Number("ef"), Number("recall"), Number("qps"), Number("p50_ms"), Number("p99_ms")));
        }

        return points;
    }

    private async Task<List<string>> RunAsync(IEnumerable<string> options)
    {
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Library, dataFolder, "--m", m.ToString(CultureInfo.InvariantCulture), "--ef-construction", efConstruction.ToString(CultureInfo.InvariantCulture) }.Concat(options))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
        var errors = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            lines.Add(line);
        }

        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? lines : throw new InvalidOperationException($"{binary} exited with {process.ExitCode}: {await errors}");
    }
}

/// <summary>One efSearch of a sweep: recall@k and, at one worker (one thread for in-process peers), QPS and latency.</summary>
internal sealed record SweepPoint(int Ef, double Recall, double Qps, double P50, double P99);
