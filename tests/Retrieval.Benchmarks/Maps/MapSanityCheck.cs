using Retrieval.Core.Formats;
using System.Diagnostics;
using System.Globalization;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;

namespace Retrieval.Benchmarks.Maps;

/// <summary>
/// A quick real-data sanity check of every map kind (not a test): on <c>wordnet-minilm-arctic</c>, fit arctic (new) →
/// MiniLM (old) on 2000 seeded item pairs, then score the folder's 3000 queries against all 10000 MiniLM items by inner
/// product, next to the README's numpy figures. Also times <see cref="CompatibilityMap.Apply"/> per query.
/// Usage: <c>maps [data folder]</c> (default <c>../shared/data/wordnet-minilm-arctic</c>); <c>maps bench …</c> runs the
/// full real-data benchmark (<see cref="MapsBenchmark"/>).
/// </summary>
public static class MapSanityCheck
{
    private const int AnchorCount = 2000;

    /// <summary>Runs the check and prints a table; returns the process exit code.</summary>
    public static Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length > 0 && args[0] == "bench")
        {
            return Task.FromResult(MapsBenchmark.Run(args[1..]));
        }

        if (args.Length > 0 && args[0] == "joint")
        {
            return Task.FromResult(JointSpaceBenchmark.Run(args[1..]));
        }

        if (args.Contains("--apply-only"))
        {
            TimeRandomApply(384);
            TimeRandomApply(256);
            return Task.FromResult(0);
        }

        var folder = args.Length > 0 ? args[0] : Path.Combine("..", "shared", "data", "wordnet-minilm-arctic");
        var newItems = Load(folder, "arctic.items.npy");
        var oldItems = Load(folder, "minilm.items.npy");
        var newQueries = Load(folder, "arctic.queries.npy");
        var oldQueries = Load(folder, "minilm.queries.npy");
        using var relevantStream = File.OpenRead(Path.Combine(folder, "queries.relevant_item_row.npy"));
        var relevant = NpyFile.Read(relevantStream).ToInt64Array().Select(r => new[] { (int)r }).ToArray();
        var d = newItems.Columns;

        // 2000 item pairs drawn with System.Random(12345) — not numpy's generator, so not the README's exact sample.
        var rows = Enumerable.Range(0, newItems.Rows).ToArray();
        new Random(12345).Shuffle(rows);
        var anchorRows = rows[..AnchorCount];
        var anchors = new AnchorSet(Gather(newItems.ToSingleArray(), d, anchorRows), d, Gather(oldItems.ToSingleArray(), d, anchorRows), d);
        var gallery = oldItems.ToSingleArray();
        var queriesNew = newQueries.ToSingleArray();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{newQueries.Rows} queries, {oldItems.Rows} gallery items, d = {d}, {AnchorCount} anchor pairs; inner product"));
        Console.WriteLine("setting                          R@1     R@10    mAP@10  fit s   README R@10");
        Print("old→old (minilm→minilm)", RankingEvaluator.Evaluate(oldQueries.ToSingleArray(), gallery, d, relevant, Metric.InnerProduct), 0, "0.582");
        Print("new→old unmapped", RankingEvaluator.Evaluate(queriesNew, gallery, d, relevant, Metric.InnerProduct), 0, "0.073");

        (MapKind Kind, string Label, string Readme, MapFitOptions Options)[] settings =
        [
            (MapKind.Orthogonal, "orthogonal", "0.345", new MapFitOptions { Kind = MapKind.Orthogonal }),
            (MapKind.CanonicalQ, "canonical-q (centred)", "0.450", new MapFitOptions { Kind = MapKind.CanonicalQ }),
            (MapKind.Affine, "affine (ridge 1e-3, centred)", "0.390*", new MapFitOptions { Kind = MapKind.Affine }),
            (MapKind.LambdaOrthogonal, "λ-orthogonal λ=1", "-", new MapFitOptions { Kind = MapKind.LambdaOrthogonal, Lambda = 1, MaxIterations = 300 }),
            (MapKind.OrthogonalExtend, "orthogonal-extend", "-", new MapFitOptions { Kind = MapKind.OrthogonalExtend }),
            (MapKind.ResidualMlp, "residual-mlp", "-", new MapFitOptions { Kind = MapKind.ResidualMlp }),
        ];

        CompatibilityMap? timed = null;
        foreach (var (_, label, readme, options) in settings)
        {
            var watch = Stopwatch.StartNew();
            var map = MapFitter.Fit(anchors, options);
            var fitSeconds = watch.Elapsed.TotalSeconds;
            var mapped = map.ApplyBatch(queriesNew, newQueries.Rows);
            Print(label, RankingEvaluator.Evaluate(mapped, gallery, d, relevant, Metric.InnerProduct), fitSeconds, readme);
            timed ??= map;
        }

        Console.WriteLine("* README ridge: no intercept, absolute α = 0.01 on raw vectors; ours is centred with α = 1e-3·mean eigenvalue.");
        TimeApply(timed!, "fitted 384→384 linear");
        TimeRandomApply(256);
        return Task.FromResult(0);
    }

    private static void TimeRandomApply(int d)
    {
        var rng = new Random(1);
        var w = Enumerable.Range(0, d * d).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        TimeApply(new CompatibilityMap(MapKind.External, d, d, w, new float[d], new float[d]), string.Create(CultureInfo.InvariantCulture, $"random {d}→{d} linear"));
    }

    private static void TimeApply(CompatibilityMap map, string label)
    {
        var x = new float[map.InputDimension];
        var y = new float[map.OutputDimension];
        x.AsSpan().Fill(0.05f);
        for (var i = 0; i < 2000; i++)
        {
            map.Apply(x, y);
        }

        // Wall time and process CPU time: on a shared, oversubscribed machine the CPU figure excludes descheduled time.
        const int iterations = 20000;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            x[i % x.Length] += 1e-6f;
            map.Apply(x, y);
        }

        var wall = watch.Elapsed.TotalMicroseconds / iterations;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / iterations;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Apply, {label}: {wall:F2} µs wall, {cpu:F2} µs CPU per query"));
    }

    private static void Print(string label, RetrievalScores s, double fitSeconds, string readme) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-32} {s.RecallAt1:F4}  {s.RecallAt10:F4}  {s.MapAt10:F4}  {fitSeconds,6:F1}  {readme}"));

    private static NpyArray Load(string folder, string name)
    {
        using var stream = File.OpenRead(Path.Combine(folder, name));
        return NpyFile.Read(stream);
    }

    private static float[] Gather(float[] data, int d, int[] rows)
    {
        var result = new float[rows.Length * d];
        for (var i = 0; i < rows.Length; i++)
        {
            data.AsSpan(rows[i] * d, d).CopyTo(result.AsSpan(i * d));
        }

        return result;
    }
}
