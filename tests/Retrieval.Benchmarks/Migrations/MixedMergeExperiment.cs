using System.Globalization;
using Retrieval.Core.Formats;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;
using Retrieval.Core.Search;

namespace Retrieval.Benchmarks.Migrations;

/// <summary>
/// Offline comparison of mixed-search merge rules (issue 18, mixed below the better half at 10–25 % on MiniLM→Arctic):
/// the same split, map and queries as <c>mixed-refit</c> (refit off), exact searches, and for each backfill point the
/// recall@10 of mapped-only, native-subset-only and mixed under each rule. Rules: "global+offset" (today: the anchor-fitted
/// calibration, its offset moved by the query's own mean residual when significant); "tail-QQ" (per query, the backfilled
/// items' top scores by each side paired rank by rank, native on mapped by least squares, applied to mapped hits);
/// "interleave" (estimated collection rank: position ÷ share of items on that side).
/// </summary>
internal static class MixedMergeExperiment
{
    private const int K = 10;

    public static int Run(string[] args)
    {
        var data = Option(args, "--data") ?? "../shared/data";
        var queryCount = int.Parse(Option(args, "--queries") ?? "1000", CultureInfo.InvariantCulture);
        (string Label, string Folder, string Old, string New)[] pairs =
        [
            ("MiniLM→Arctic", Path.Combine(data, "wordnet-minilm-arctic"), "minilm", "arctic"),
            ("fastText skipgram→cbow", Path.Combine(data, "wordnet-fasttext"), "M_old", "M_new"),
        ];
        var filter = Option(args, "--pairs")?.Split(',');
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
            var anchors = order[..1000];
            var backfillOrder = Enumerable.Range(0, n).ToArray();
            random.Shuffle(backfillOrder);
            var queries = Enumerable.Range(0, newQueries.Rows).ToArray();
            random.Shuffle(queries);
            queries = queries[..Math.Min(queryCount, queries.Length)];

            var fit = anchors[..800];
            var map = MapFitter.Fit(
                new AnchorSet(fit.SelectMany(i => newItems.Row(i).ToArray()).ToArray(), newItems.Columns, fit.SelectMany(i => oldItems.Row(i).ToArray()).ToArray(), oldItems.Columns),
                new MapFitOptions { Kind = MapKind.CanonicalQ, TargetMetric = Metric.Cosine });
            var oldGallery = Normalized(oldItems);
            var newGallery = Normalized(newItems);
            var (scale, offset) = GlobalCalibration(anchors, newGallery, oldGallery, map, oldItems.Columns);
            Console.WriteLine(Inv($"{pair.Label}: global calibration scale {scale:F4} offset {offset:F4}"));
            Console.WriteLine("| backfilled | mapped-only | native-subset-only | global+offset | tail-QQ | interleave |");
            foreach (var percent in new[] { 10, 25, 50, 75 })
            {
                var count = n * percent / 100;
                var native = new RowFilter(n);
                var rest = new RowFilter(n);
                foreach (var i in backfillOrder[..count])
                {
                    native.Set(i);
                }

                foreach (var i in backfillOrder[count..])
                {
                    rest.Set(i);
                }

                var share = (double)count / n;
                var found = new double[5];
                foreach (var q in queries)
                {
                    var query = Unit(newQueries.Row(q).ToArray());
                    var mappedQuery = Unit(map.ApplyBatch(newQueries.Row(q), 1)[..oldItems.Columns]);
                    var nativeHits = ExactSearch.Search(newGallery, query, K, ScoreKind.InnerProduct, native);
                    var mappedHits = ExactSearch.Search(oldGallery, mappedQuery, K, ScoreKind.InnerProduct, rest);
                    var allMapped = ExactSearch.Search(oldGallery, mappedQuery, K, ScoreKind.InnerProduct);
                    var backfilledByMapped = ExactSearch.Search(oldGallery, mappedQuery, K, ScoreKind.InnerProduct, native);
                    var target = relevant[q];
                    found[0] += allMapped.Any(h => h.Row == target) ? 1 : 0;
                    found[1] += nativeHits.Any(h => h.Row == target) ? 1 : 0;

                    // Today's rule.
                    var pairsMapped = new List<double>();
                    var pairsNative = new List<double>();
                    var seen = new HashSet<int>();
                    foreach (var h in nativeHits)
                    {
                        if (seen.Add(h.Row))
                        {
                            pairsMapped.Add(Dot(mappedQuery, oldGallery.Row(h.Row)));
                            pairsNative.Add(h.Score);
                        }
                    }

                    foreach (var h in backfilledByMapped)
                    {
                        if (seen.Add(h.Row))
                        {
                            pairsMapped.Add(h.Score);
                            pairsNative.Add(Dot(query, newGallery.Row(h.Row)));
                        }
                    }

                    var o = offset;
                    if (pairsMapped.Count >= 3)
                    {
                        var residuals = pairsMapped.Select((m, i) => pairsNative[i] - ((scale * m) + offset)).ToArray();
                        var mean = residuals.Average();
                        var variance = residuals.Sum(r => (r - mean) * (r - mean)) / (residuals.Length - 1);
                        if (Math.Abs(mean) > 2 * Math.Sqrt(variance / residuals.Length))
                        {
                            o += mean;
                        }
                    }

                    found[2] += Merge(nativeHits, mappedHits, s => (scale * s) + o, target);

                    // Tail quantile–quantile: the j-th best backfilled score by each side.
                    var s1 = backfilledByMapped.Select(h => (double)h.Score).ToArray();
                    var t1 = nativeHits.Select(h => (double)h.Score).ToArray();
                    var m = Math.Min(s1.Length, t1.Length);
                    if (m >= 3)
                    {
                        var (a, b) = LeastSquares(s1[..m], t1[..m]);
                        found[3] += Merge(nativeHits, mappedHits, s => (a * s) + b, target);
                    }
                    else
                    {
                        found[3] += Merge(nativeHits, mappedHits, s => (scale * s) + o, target);
                    }

                    // Interleave by estimated collection rank.
                    var merged = nativeHits.Select((h, p) => (h.Row, Rank: (p + 0.5) / share))
                        .Concat(mappedHits.Select((h, p) => (h.Row, Rank: (p + 0.5) / (1 - share))))
                        .OrderBy(x => x.Rank).Take(K);
                    found[4] += merged.Any(x => x.Row == target) ? 1 : 0;
                }

                Console.WriteLine(Inv($"| {percent} % | {found[0] / queries.Length:F4} | {found[1] / queries.Length:F4} | {found[2] / queries.Length:F4} | {found[3] / queries.Length:F4} | {found[4] / queries.Length:F4} |"));
            }
        }

        return 0;
    }

    private static double Merge(ScoredRow[] native, ScoredRow[] mapped, Func<double, double> calibrate, int target) =>
        native.Select(h => (h.Row, Score: (double)h.Score, Mapped: false))
            .Concat(mapped.Select(h => (h.Row, Score: calibrate(h.Score), Mapped: true)))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Mapped).Take(K).Any(x => x.Row == target) ? 1 : 0;

    private static (double Scale, double Offset) LeastSquares(double[] x, double[] y)
    {
        var mx = x.Average();
        var my = y.Average();
        double sxx = 0, sxy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
        }

        var scale = sxx > 1e-12 ? sxy / sxx : 1;
        return (scale, my - (scale * mx));
    }

    /// <summary>The engine's calibration, replicated: 256 anchors as queries, their 20 nearest anchors by each score, OLS.</summary>
    private static (double Scale, double Offset) GlobalCalibration(int[] anchors, FlatVectorStorage newGallery, FlatVectorStorage oldGallery, CompatibilityMap map, int dOld)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        var set = new RowFilter(newGallery.Count);
        foreach (var a in anchors)
        {
            set.Set(a);
        }

        foreach (var q in anchors.Take(256))
        {
            var query = newGallery.Row(q).ToArray();
            var mapped = Unit(map.ApplyBatch(query, 1)[..dOld]);
            var rows = ExactSearch.Search(newGallery, query, 21, ScoreKind.InnerProduct, set).Select(h => h.Row)
                .Union(ExactSearch.Search(oldGallery, mapped, 21, ScoreKind.InnerProduct, set).Select(h => h.Row));
            foreach (var r in rows.Where(r => r != q))
            {
                xs.Add(Dot(mapped, oldGallery.Row(r)));
                ys.Add(Dot(query, newGallery.Row(r)));
            }
        }

        return LeastSquares([.. xs], [.. ys]);
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
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

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
