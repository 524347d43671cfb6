using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Retrieval.Benchmarks.Ann;

/// <summary>Runs peers/ann_peer.py (Debian's python3-faiss) on the files written by <see cref="AnnDataset.WriteTo"/>.</summary>
internal static class AnnPythonPeer
{
    public static async Task<(double BuildSeconds, List<AnnPoint> Points)> RunAsync(
        AnnDataset data, string directory, string factory, int k, IReadOnlyList<int> values, int efConstruction, CancellationToken cancellationToken)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "peers", "ann_peer.py");
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            script, directory, data.Dimension.ToString(CultureInfo.InvariantCulture), k.ToString(CultureInfo.InvariantCulture), factory,
            data.Metric == Core.Model.Metric.L2 ? "l2" : "ip", string.Join(',', values), efConstruction.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start /usr/bin/python3");
        // A cancelled run (the caller's time bound) must not leave the peer building in the background.
        await using var kill = cancellationToken.Register(() => process.Kill(entireProcessTree: true));
        var buildSeconds = double.NaN;
        var points = new List<AnnPoint>();
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.TryGetProperty("build_s", out var build))
            {
                buildSeconds = build.GetDouble();
                continue;
            }

            points.Add(new AnnPoint(data.Name, factory, "python3-faiss", root.GetProperty("param").GetInt32(), root.GetProperty("recall").GetDouble(), root.GetProperty("qps").GetDouble()));
        }

        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0 ? (buildSeconds, points) : throw new InvalidOperationException($"ann_peer.py exited with {process.ExitCode}");
    }
}
