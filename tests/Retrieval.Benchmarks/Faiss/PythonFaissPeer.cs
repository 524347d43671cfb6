using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Retrieval.Benchmarks.Faiss;

/// <summary>Runs faiss_peer.py (Debian's python3-faiss) on the data files written by <see cref="BenchmarkData.WriteTo"/>.</summary>
internal static class PythonFaissPeer
{
    public static async Task<(double BuildSeconds, List<HnswMeasurement> Points)> RunAsync(
        string dataDirectory, int dimension, string factory, int k, IReadOnlyList<int> efs, CancellationToken cancellationToken)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Faiss", "faiss_peer.py");
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { script, dataDirectory, dimension.ToString(CultureInfo.InvariantCulture), k.ToString(CultureInfo.InvariantCulture), factory, string.Join(',', efs) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start /usr/bin/python3");
        var buildSeconds = double.NaN;
        var points = new List<HnswMeasurement>();
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.TryGetProperty("build_s", out var build))
            {
                buildSeconds = build.GetDouble();
                continue;
            }

            points.Add(new HnswMeasurement(
                "faiss-python", root.GetProperty("mode").GetString()!, root.GetProperty("ef").GetInt32(),
                root.GetProperty("recall").GetDouble(), root.GetProperty("qps").GetDouble()));
        }

        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"faiss_peer.py exited with {process.ExitCode}");
        }

        return (buildSeconds, points);
    }
}
