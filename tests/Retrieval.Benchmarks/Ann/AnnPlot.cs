using System.Globalization;

namespace Retrieval.Benchmarks.Ann;

/// <summary>Recall@10 (x) vs QPS (y, log10) per data set and engine: one PNG per index family (<c>{path}-hnsw.png</c>, <c>{path}-ivfpq.png</c>).</summary>
internal static class AnnPlot
{
    public static string Write(IReadOnlyList<AnnPoint> points, string path)
    {
        try
        {
            var families = points.GroupBy(p => p.Index.StartsWith("HNSW", StringComparison.Ordinal) ? "hnsw" : "ivfpq").ToList();
            var written = new List<string>();
            for (var f = 0; f < families.Count; f++)
            {
                var plot = new ScottPlot.Plot();
                foreach (var curve in families[f].GroupBy(p => (p.Dataset, p.Engine, p.Index)))
                {
                    var ordered = curve.OrderBy(p => p.Parameter).ToArray();
                    var scatter = plot.Add.Scatter(ordered.Select(p => p.Recall).ToArray(), ordered.Select(p => Math.Log10(p.Qps)).ToArray());
                    scatter.LegendText = $"{curve.Key.Dataset} — {curve.Key.Index} — {curve.Key.Engine}";
                    scatter.MarkerSize = 6;
                    if (curve.Key.Engine == "python3-faiss")
                    {
                        scatter.LinePattern = ScottPlot.LinePattern.Dashed;
                    }
                }

                plot.Title($"{(families[f].Key == "hnsw" ? "HNSW32" : "IVF-PQ")}: recall@10 vs single-query QPS (1 thread)");
                plot.XLabel("recall@10");
                plot.YLabel("log10 QPS");
                plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
                var file = $"{path}-{families[f].Key}.png";
                var full = Path.GetFullPath(file);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                plot.SavePng(full, 1000, 600);
                written.Add(file);
            }

            return string.Create(CultureInfo.InvariantCulture, $"Plots written: {string.Join(", ", written)}.");
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or IOException or InvalidOperationException)
        {
            return $"Plot skipped: ScottPlot failed to render ({e.GetType().Name}: {e.Message}).";
        }
    }
}
