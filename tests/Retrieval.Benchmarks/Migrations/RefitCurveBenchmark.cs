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
/// The migration curve with online refit on and off (issue 18): through the real engine (SQLite store), a migration is
/// fitted on a few inline anchors, activated and backfilled by the client in chunks; at 0/10/25/50/75/100 % backfilled,
/// recall@10 of the new model's queries (their one relevant item) is measured mapped-only (every item through the
/// serving map), mixed (native where backfilled, mapped elsewhere) and native-subset-only. With refit on, the default
/// schedule refits after each chunk (the benchmark waits for it); with refit off the fitted map serves throughout. At
/// every point the one-shot map of the same kind fitted on the same pairs (anchors plus every backfilled item) is measured
/// too, with the same exact search. Both data sets: MiniLM→Arctic (old minilm, new arctic) and fastText skipgram→cbow.
/// </summary>
/// <remarks>Usage: <c>mixed-refit [--data DIR] [--queries N] [--anchors N] [--kind canonical-q|orthogonal|affine] [--pairs minilm,fasttext] [--markdown FILE]</c></remarks>
internal static class RefitCurveBenchmark
{
    private const int K = 10;
    private static readonly int[] Percents = [0, 10, 25, 50, 75, 100];

    public static async Task<int> RunAsync(string[] args)
    {
        var data = Option(args, "--data") ?? "../shared/data";
        var queryCount = int.Parse(Option(args, "--queries") ?? "1000", CultureInfo.InvariantCulture);
        var anchorCount = int.Parse(Option(args, "--anchors") ?? "1000", CultureInfo.InvariantCulture);
        var kind = Option(args, "--kind") switch
        {
            "orthogonal" => MapKind.Orthogonal,
            "affine" => MapKind.Affine,
            _ => MapKind.CanonicalQ,
        };
        var filter = Option(args, "--pairs")?.Split(',');
        (string Label, string Folder, string Old, string New)[] pairs =
        [
            ("MiniLM→Arctic", Path.Combine(data, "wordnet-minilm-arctic"), "minilm", "arctic"),
            ("fastText skipgram→cbow", Path.Combine(data, "wordnet-fasttext"), "M_old", "M_new"),
        ];

        var md = new StringBuilder();
        md.AppendLine(Inv($"{kind} map fitted on {anchorCount} inline anchors, then a client backfill in chunks of 5 % of the items; {queryCount} new-model queries, recall@10 of the query's one relevant item. Refit on: default schedule (every 2,000 pairs, 10 % of the stream held out, promotion margin 0.002), the benchmark waits for each scheduled refit. One-shot: the same kind fitted from scratch on every pair available at that point (anchors + backfilled), searched exactly like the engine's mapped path."));
        var targets = new List<string>();
        foreach (var pair in pairs.Where(p => filter is null || filter.Any(f => p.Label.Contains(f, StringComparison.OrdinalIgnoreCase))))
        {
            var oldItems = NpyFile.ReadMatrix(Path.Combine(pair.Folder, pair.Old + ".items.npy"));
            var newItems = NpyFile.ReadMatrix(Path.Combine(pair.Folder, pair.New + ".items.npy"));
            var newQueries = NpyFile.ReadMatrix(Path.Combine(pair.Folder, pair.New + ".queries.npy"));
            var relevant = NpyFile.ReadInt32(Path.Combine(pair.Folder, "queries.relevant_item_row.npy"));
            var random = new Random(20261207);
            var n = oldItems.Rows;
            var order = Enumerable.Range(0, n).ToArray();
            random.Shuffle(order);
            var anchors = order[..anchorCount];
            // The backfill walks every item in its own order (the anchors were re-embedded inline, not written).
            var backfillOrder = Enumerable.Range(0, n).ToArray();
            random.Shuffle(backfillOrder);
            var queries = Enumerable.Range(0, newQueries.Rows).ToArray();
            random.Shuffle(queries);
            queries = queries[..Math.Min(queryCount, queries.Length)];

            md.AppendLine();
            md.AppendLine(Inv($"**{pair.Label}** ({n:N0} items, old {oldItems.Columns}-d, new {newItems.Columns}-d)"));
            md.AppendLine();
            md.AppendLine("| backfilled | refit | map version | mapped-only | serving map's fit pairs | one-shot on that many pairs | one-shot on every pair available | mixed | native-subset-only | mixed − max(mapped, native) | refit seconds (total) |");
            md.AppendLine("|---:|:--|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            var curves = new Dictionary<bool, List<Point>>();
            foreach (var refit in new[] { false, true })
            {
                curves[refit] = await CurveAsync(pair.Label, oldItems, newItems, newQueries, relevant, anchors, backfillOrder, queries, kind, refit);
            }

            for (var p = 0; p < Percents.Length; p++)
            {
                foreach (var refit in new[] { false, true })
                {
                    var r = curves[refit][p];
                    md.AppendLine(Inv($"| {r.Percent} % | {(refit ? "on" : "off")} | {r.Version} | {r.Mapped:F4} | {r.ServingPairs:N0} | {r.OneShotSameCount:F4} | {r.OneShot:F4} | {r.Mixed:F4} | {r.Native:F4} | {r.Mixed - Math.Max(r.Mapped, r.Native):+0.0000;-0.0000} | {r.RefitSeconds:F1} |"));
                }
            }

            var half = curves[true][Array.IndexOf(Percents, 50)];
            var mixedOk = curves[true].All(r => r.Mixed >= Math.Max(r.Mapped, r.Native) - 0.005);
            targets.Add(Inv($"{pair.Label}: refit mapped-only at 50 % {half.Mapped:F4} vs one-shot on the same number of pairs ({half.ServingPairs:N0}) {half.OneShotSameCount:F4} ({(half.Mapped >= half.OneShotSameCount - 0.005 ? "met" : "NOT met")}), on every pair available {half.OneShot:F4}; mixed ≥ max(halves) − 0.005 at every point with refit: {(mixedOk ? "met" : "NOT met")}"));
        }

        md.AppendLine();
        foreach (var line in targets)
        {
            md.AppendLine("- " + line);
        }

        Console.WriteLine(md.ToString());
        if (Option(args, "--markdown") is { } path)
        {
            await File.WriteAllTextAsync(path, md.ToString());
        }

        return 0;
    }

    private sealed record Point(int Percent, int Version, double Mapped, double OneShot, double Mixed, double Native, double RefitSeconds)
    {
        /// <summary>Pairs the serving map was fitted on.</summary>
        public long ServingPairs { get; init; }

        /// <summary>The one-shot map fitted on as many pairs as the serving map (anchors first, then the backfill order).</summary>
        public double OneShotSameCount { get; init; }
    }

    private static async Task<List<Point>> CurveAsync(
        string label, VectorMatrix oldItems, VectorMatrix newItems, VectorMatrix newQueries, int[] relevant, int[] anchors, int[] backfillOrder, int[] queries, MapKind kind, bool refit)
    {
        var directory = Path.Combine(Path.GetTempPath(), "retrieval-refit-bench-" + Guid.NewGuid().ToString("N"));
        var clock = Stopwatch.StartNew();
        try
        {
            await using var engine = new RetrievalEngine(new SqliteRetrievalStore(directory), new EngineOptions(), NullLogger<RetrievalEngine>.Instance,
                new IndexingOptions { BackgroundOptimizer = false });
            await engine.StartAsync(CancellationToken.None);
            await engine.CreateCollectionAsync("c", [
                new SpaceDefinition("old", oldItems.Columns, Metric.Cosine, new ModelRef("old", "1")),
                new SpaceDefinition("new", newItems.Columns, Metric.Cosine, new ModelRef("new", "1"))], "old", CancellationToken.None);
            var n = oldItems.Rows;
            foreach (var chunk in Enumerable.Range(0, n).Chunk(5000))
            {
                await engine.UpsertAsync("c", chunk.Select(i => new ItemWrite(Id(i), null, new Dictionary<string, float[]> { ["old"] = oldItems.Row(i).ToArray() })).ToList(), CancellationToken.None);
            }

            var settings = new MigrationParameters { MapKind = kind, Seed = 1, Refit = new OnlineRefitSettings { Enabled = refit } };
            await engine.PlanMigrationAsync("c", new MigrationPlan("m", "old", "new", null, settings), "benchmark", CancellationToken.None);
            await engine.FitMigrationAsync("c", "m", null, anchors.Select(i => (newItems.Row(i).ToArray(), oldItems.Row(i).ToArray())).ToList(), [], "benchmark", CancellationToken.None);
            await engine.ActivateMigrationAsync("c", "m", force: true, "benchmark", CancellationToken.None);
            await engine.StartBackfillAsync("c", "m", null, "benchmark", CancellationToken.None);

            // Exact references outside the engine: the old gallery normalized (cosine), and the new one for native-only.
            var oldGallery = Normalized(oldItems);
            var newGallery = Normalized(newItems);
            var points = new List<Point>();
            var backfilled = 0;
            var refitSeconds = 0d;
            var step = Math.Max(1, n / 20);
            foreach (var percent in Percents)
            {
                var target = Math.Min(backfillOrder.Length, (int)((long)n * percent / 100));
                while (backfilled < target)
                {
                    var next = Math.Min(target, backfilled + step);
                    await engine.BackfillAsync("c", "m", backfillOrder[backfilled..next].Select(i => new BackfillVector(Id(i), newItems.Row(i).ToArray())).ToList(), null, CancellationToken.None);
                    var waited = Stopwatch.StartNew();
                    await engine.WhenRefitsIdleAsync();
                    refitSeconds += waited.Elapsed.TotalSeconds;
                    backfilled = next;
                }

                var status = await engine.GetMigrationAsync("c", "m", CancellationToken.None);
                var mixed = Recall(queries, q => engine.Search("c", new SearchQuery("new", newQueries.Row(q).ToArray(), K)).Select(h => Row(h.Id)), relevant);
                var mapped = Recall(queries, q => engine.Search("c", new SearchQuery("new", newQueries.Row(q).ToArray(), K, TargetSpace: "old")).Select(h => Row(h.Id)), relevant);
                var subset = new RowFilter(n);
                foreach (var i in backfillOrder[..backfilled])
                {
                    subset.Set(i);
                }

                var native = Recall(queries, q => ExactSearch.Search(newGallery, Unit(newQueries.Row(q).ToArray()), K, ScoreKind.InnerProduct, subset).Select(h => h.Row), relevant);
                var pairsNow = anchors.Union(backfillOrder[..backfilled]).ToArray();
                var oneShotRecall = OneShotRecall(pairsNow);
                // The serving map's own pair count: the fit's 80 % of the anchors for version 1, the refit's FitPairs after.
                var servingPairs = status.Details.Refit?.Refits.LastOrDefault(r => r.Promoted)?.FitPairs ?? (long)(anchors.Length * 0.8);
                var sameCountRecall = OneShotRecall(pairsNow[..(int)Math.Min(servingPairs, pairsNow.Length)]);
                points.Add(new Point(percent, status.Refit?.MapVersion ?? 1, mapped, oneShotRecall, mixed, native, refitSeconds) { ServingPairs = servingPairs, OneShotSameCount = sameCountRecall });
                Console.WriteLine(Inv($"{label} refit {(refit ? "on " : "off")} {percent,3} %: v{status.Refit?.MapVersion ?? 1} mapped {mapped:F4} one-shot {oneShotRecall:F4} one-shot on {servingPairs} {sameCountRecall:F4} mixed {mixed:F4} native {native:F4} ({clock.Elapsed.TotalSeconds:F0} s)"));

                double OneShotRecall(int[] rows)
                {
                    var oneShot = MapFitter.Fit(
                        new AnchorSet(rows.SelectMany(i => newItems.Row(i).ToArray()).ToArray(), newItems.Columns, rows.SelectMany(i => oldItems.Row(i).ToArray()).ToArray(), oldItems.Columns),
                        new MapFitOptions { Kind = kind, TargetMetric = Metric.Cosine });
                    return Recall(queries, q => ExactSearch.Search(oldGallery, Unit(oneShot.ApplyBatch(newQueries.Row(q), 1)[..oldItems.Columns]), K, ScoreKind.InnerProduct).Select(h => h.Row), relevant);
                }
            }

            return points;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static FlatVectorStorage Normalized(VectorMatrix matrix)
    {
        var storage = new FlatVectorStorage(matrix.Columns, matrix.Rows);
        for (var i = 0; i < matrix.Rows; i++)
        {
            storage.Add(Unit(matrix.Row(i).ToArray()));
        }

        return storage;
    }

    private static float[] Unit(float[] v)
    {
        var norm = (float)Math.Sqrt(v.Sum(x => (double)x * x));
        return norm > 0 ? v.Select(x => x / norm).ToArray() : v;
    }

    private static double Recall(int[] queries, Func<int, IEnumerable<int>> search, int[] relevant) =>
        queries.Average(q => search(q).Contains(relevant[q]) ? 1.0 : 0.0);

    private static string Id(int row) => "s" + row.ToString(CultureInfo.InvariantCulture);

    private static int Row(string id) => int.Parse(id.AsSpan(1), CultureInfo.InvariantCulture);

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
