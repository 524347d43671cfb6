using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Retrieval.Benchmarks.Exact;

/// <summary>What the Faiss peer measured on the same data.</summary>
internal sealed record FaissResult(string Version, string? OpenBlasCoreType, double[] SingleQps, double[] BatchQps, long[][] Ids);

/// <summary>Runs <c>peers/faiss_flat.py</c> with Debian's /usr/bin/python3 (python3-faiss, python3-numpy).</summary>
internal static class FaissPeer
{
    public static FaissResult? Run(string dataPath, string queriesPath, ExactBenchOptions options)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "peers", "faiss_flat.py");
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            script, "--data", dataPath, "--queries", queriesPath,
            "--k", Str(options.K), "--threads", Str(options.Threads),
            "--trials", Str(options.Trials), "--batch-trials", Str(options.BatchTrials),
            "--min-time", options.MinTrialSeconds.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start /usr/bin/python3");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            Console.Error.WriteLine($"faiss peer failed with exit code {process.ExitCode}");
            return null;
        }

        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        return new FaissResult(
            root.GetProperty("faiss_version").GetString() ?? "?",
            root.GetProperty("openblas_coretype").GetString(),
            [.. root.GetProperty("single_qps").EnumerateArray().Select(e => e.GetDouble())],
            [.. root.GetProperty("batch_qps").EnumerateArray().Select(e => e.GetDouble())],
            [.. root.GetProperty("ids").EnumerateArray().Select(q => q.EnumerateArray().Select(e => e.GetInt64()).ToArray())]);
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
