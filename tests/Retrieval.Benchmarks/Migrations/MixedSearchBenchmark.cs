using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Formats;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Migrations;
using Retrieval.Storage.Sqlite;

namespace Retrieval.Benchmarks.Migrations;

/// <summary>
/// Mixed search during a migration on real data (wordnet-fasttext: old = M_old skipgram 96-d, new = M_new cbow 128-d):
/// recall@10 of a new-model query (task (a): its one relevant synset) at 0/25/50/75/100 % backfilled, through the real
/// engine (SQLite store, migration fitted on inline anchors), against mapped-only search (every item through the map) and
/// native-subset-only search (only the backfilled items, natively) at the same points, and new→new over everything.
/// </summary>
internal static class MixedSearchBenchmark
{
    private const int K = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var data = Option(args, "--data") ?? "../shared/data/wordnet-fasttext";
        var queryCount = int.Parse(Option(args, "--queries") ?? "2000", CultureInfo.InvariantCulture);
        var anchorCount = int.Parse(Option(args, "--anchors") ?? "5000", CultureInfo.InvariantCulture);
        var kind = Option(args, "--kind") ?? "orthogonal";
        var plotPath = Option(args, "--plot");
        var markdownPath = Option(args, "--markdown");
        var oldItems = NpyFile.ReadMatrix(Path.Combine(data, "M_old.items.npy"));
        var newItems = NpyFile.ReadMatrix(Path.Combine(data, "M_new.items.npy"));
        var newQueries = NpyFile.ReadMatrix(Path.Combine(data, "M_new.queries.npy"));
        var relevant = NpyFile.ReadInt32(Path.Combine(data, "queries.relevant_item_row.npy"));
        var n = oldItems.Rows;
        var random = new Random(20261127);
        var order = Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray();
        var anchors = order.Take(anchorCount).ToArray();
        var backfillOrder = Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray();
        var queries = Enumerable.Range(0, newQueries.Rows).OrderBy(_ => random.Next()).Take(queryCount).ToArray();

        var directory = Path.Combine(Path.GetTempPath(), "retrieval-mixed-bench-" + Guid.NewGuid().ToString("N"));
        var started = Stopwatch.StartNew();
        try
        {
            await using var engine = new RetrievalEngine(new SqliteRetrievalStore(directory), new EngineOptions(), NullLogger<RetrievalEngine>.Instance,
                new IndexingOptions { BackgroundOptimizer = false });
            await engine.StartAsync(CancellationToken.None);
            await engine.CreateCollectionAsync("wn", [
                new SpaceDefinition("old", oldItems.Columns, Metric.Cosine, new ModelRef("fasttext-skipgram", "96")),
                new SpaceDefinition("new", newItems.Columns, Metric.Cosine, new ModelRef("fasttext-cbow", "128"))], "old", CancellationToken.None);
            foreach (var chunk in Enumerable.Range(0, n).Chunk(5000))
            {
                await engine.UpsertAsync("wn", chunk.Select(i => new ItemWrite(Id(i), null, new Dictionary<string, float[]> { ["old"] = oldItems.Row(i).ToArray() })).ToList(), CancellationToken.None);
            }

            var settings = new MigrationParameters { MapKind = kind == "canonical-q" ? MapKind.CanonicalQ : kind == "affine" ? MapKind.Affine : MapKind.Orthogonal, Seed = 1 };
            await engine.PlanMigrationAsync("wn", new MigrationPlan("bench", "old", "new", null, settings), "benchmark", CancellationToken.None);
            var fitted = await engine.FitMigrationAsync("wn", "bench", null, anchors.Select(i => (newItems.Row(i).ToArray(), oldItems.Row(i).ToArray())).ToList(), [], "benchmark", CancellationToken.None);
            await engine.ActivateMigrationAsync("wn", "bench", force: true, "benchmark", CancellationToken.None);
            await engine.StartBackfillAsync("wn", "bench", null, "benchmark", CancellationToken.None);
            var calibration = fitted.Details.Calibration!;
            Console.WriteLine(Inv($"loaded {n} items, fitted {kind} on {anchorCount} anchors in {started.Elapsed.TotalSeconds:F1} s; calibration native ≈ {calibration.Scale:F4}·mapped + {calibration.Offset:F4} (r = {calibration.Correlation:F3}, {calibration.Pairs} pairs)"));

            // Reference searches outside the engine: new→new over all items and over the backfilled subset.
            var allNew = new FlatVectorStorage(newItems.Columns, n);
            for (var i = 0; i < n; i++)
            {
                allNew.Add(newItems.Row(i));
            }

            var fullNewRecall = Recall(queries, q => ExactSearch.Search(allNew, newQueries.Row(q), K, ScoreKind.InnerProduct).Select(h => h.Row), relevant);
            var rows = new List<(int Percent, double Mixed, double Mapped, double Native, double NativeShare)>();
            var backfilled = 0;
            foreach (var percent in new[] { 0, 25, 50, 75, 100 })
            {
                var target = n * percent / 100;
                foreach (var chunk in backfillOrder[backfilled..target].Chunk(5000))
                {
                    await engine.BackfillAsync("wn", "bench", chunk.Select(i => new BackfillVector(Id(i), newItems.Row(i).ToArray())).ToList(), Inv($"#{target}"), CancellationToken.None);
                }

                backfilled = target;
                var subset = new RowFilter(n);
                foreach (var i in backfillOrder[..backfilled])
                {
                    subset.Set(i);
                }

                long nativeHits = 0, totalHits = 0;
                var mixed = Recall(queries, q =>
                {
                    var hits = engine.Search("wn", new SearchQuery("new", newQueries.Row(q).ToArray(), K));
                    nativeHits += hits.Count(h => h.Path == SearchPaths.Native);
                    totalHits += hits.Count;
                    return hits.Select(h => Row(h.Id));
                }, relevant);
                var mapped = Recall(queries, q => engine.Search("wn", new SearchQuery("new", newQueries.Row(q).ToArray(), K, TargetSpace: "old")).Select(h => Row(h.Id)), relevant);
                var native = backfilled == 0 ? 0 : Recall(queries, q => ExactSearch.Search(allNew, newQueries.Row(q), K, ScoreKind.InnerProduct, subset).Select(h => h.Row), relevant);
                rows.Add((percent, mixed, mapped, native, totalHits == 0 ? 0 : (double)nativeHits / totalHits));
                Console.WriteLine(Inv($"{percent,3} % backfilled: mixed {mixed:F4}  mapped-only {mapped:F4}  native-subset-only {native:F4}  (native share of mixed hits {rows[^1].NativeShare:P0})"));
            }

            var markdown = Markdown(rows, fullNewRecall, kind, anchorCount, queryCount, calibration, plotPath is null ? null : Plot(rows, fullNewRecall, plotPath));
            Console.WriteLine(markdown);
            if (markdownPath is not null)
            {
                await File.WriteAllTextAsync(markdownPath, markdown);
            }

            var ok = rows.All(r => r.Mixed >= Math.Max(r.Mapped, r.Native) - 0.005) && Math.Abs(rows[^1].Mixed - fullNewRecall) <= 0.01;
            Console.WriteLine(ok ? "target met: mixed ≥ max(mapped, native) − 0.005 at every point, within 0.01 of new→new at 100 %" : "target NOT met");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static double Recall(int[] queries, Func<int, IEnumerable<int>> search, int[] relevant) =>
        queries.Average(q => search(q).Contains(relevant[q]) ? 1.0 : 0.0);

    private static string Id(int row) => "s" + row.ToString(CultureInfo.InvariantCulture);

    private static int Row(string id) => int.Parse(id.AsSpan(1), CultureInfo.InvariantCulture);

    private static string Markdown(List<(int Percent, double Mixed, double Mapped, double Native, double NativeShare)> rows, double fullNew, string kind, int anchors, int queries, ScoreCalibration calibration, string? plot)
    {
        var md = new StringBuilder();
        md.AppendLine(Inv($"recall@10 (task (a): the query's one relevant synset in the top 10), {queries} M_new queries, 60000 items; {kind} map fitted on {anchors} inline anchors; calibration native ≈ {calibration.Scale:F4}·mapped + {calibration.Offset:F4} (r = {calibration.Correlation:F3}). new→new over all items: **{fullNew:F4}**."));
        md.AppendLine();
        md.AppendLine("| backfilled | mixed | mapped-only | native-subset-only | mixed − max(others) | native share of mixed hits |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            md.AppendLine(Inv($"| {r.Percent} % | {r.Mixed:F4} | {r.Mapped:F4} | {r.Native:F4} | {r.Mixed - Math.Max(r.Mapped, r.Native):+0.0000;-0.0000} | {r.NativeShare:P0} |"));
        }

        if (plot is not null)
        {
            md.AppendLine();
            md.AppendLine(plot);
        }

        return md.ToString();
    }

    private static string Plot(List<(int Percent, double Mixed, double Mapped, double Native, double NativeShare)> rows, double fullNew, string path)
    {
        try
        {
            var plot = new ScottPlot.Plot();
            var x = rows.Select(r => (double)r.Percent).ToArray();
            foreach (var (label, values) in new[] { ("mixed", rows.Select(r => r.Mixed)), ("mapped-only", rows.Select(r => r.Mapped)), ("native-subset-only", rows.Select(r => r.Native)) })
            {
                var scatter = plot.Add.Scatter(x, values.ToArray());
                scatter.LegendText = label;
                scatter.MarkerSize = 7;
            }

            var line = plot.Add.HorizontalLine(fullNew);
            line.LegendText = Inv($"new→new, all items {fullNew:F3}");
            line.LinePattern = ScottPlot.LinePattern.Dashed;
            plot.Title("wordnet-fasttext: recall@10 of M_new queries during a migration M_old → M_new");
            plot.XLabel("items backfilled (%)");
            plot.YLabel("recall@10");
            plot.ShowLegend(ScottPlot.Alignment.LowerRight);
            var full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            plot.SavePng(full, 900, 560);
            return Inv($"![mixed search recall]({Path.GetFileName(path)})");
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or IOException or InvalidOperationException)
        {
            return Inv($"Plot skipped: ScottPlot failed to render ({e.GetType().Name}: {e.Message}).");
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
