using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Retrieval.Benchmarks.Encoders;
using Retrieval.Core.Errors;
using Retrieval.Core.Formats;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;

namespace Retrieval.Benchmarks.Maps;

/// <summary>
/// Real-data compatibility-map benchmark (issue 4 §6): every model pair × map kind × anchor count, recall@1/@10 of
/// old→old, new→new, new→old unmapped and mapped, recovery ratios, held-out anchor identification, an independent numpy
/// reference fit (<c>peers/maps_reference.py</c>) on the same fit anchors, per-query apply cost and a ScottPlot PNG.
/// Usage: <c>maps bench [--data DIR] [--minilm-queries N] [--fasttext-queries N] [--anchors 500,2000,5000,20000]
/// [--plot PATH] [--markdown PATH] [--no-reference] [--no-mlp] [--kinds LambdaOrthogonal,CanonicalQ,...] [--two-sided [--two-sided-kind KIND]] [--query-anchors N] [--pairs NAME,...] [--auto-budget SECONDS]</c>.
/// <c>--pairs</c> keeps the pairs whose short name contains one of the names (e.g. <c>MiniLM</c>); <c>--auto-budget</c> is the
/// cross-validation budget of the <c>Auto</c> kind (default 120 s).
/// </summary>
internal static class MapsBenchmark
{
    private const int QuerySeed = 2026;
    private const int AnchorSeed = 12345;
    private const double HeldOutFraction = 0.2;
    private const int SplitSeed = 1;

    /// <summary>Query pairs added to the item anchors (<c>--query-anchors</c>); 0 = item anchors only.</summary>
    private static int QueryAnchors { get; set; }

    /// <summary>Cross-validation budget of the <see cref="MapKind.Auto"/> rows (<c>--auto-budget</c>).</summary>
    private static double AutoBudgetSeconds { get; set; } = 120;

    private static readonly (MapKind Kind, string Label)[] Kinds =
    [
        (MapKind.Orthogonal, "orthogonal"),
        (MapKind.CanonicalQ, "canonical-Q (centred Procrustes)"),
        (MapKind.Affine, "affine (centred ridge)"),
        (MapKind.LambdaOrthogonal, "λ-orthogonal (λ=1)"),
        (MapKind.OrthogonalExtend, "orthogonal-extend"),
        (MapKind.ResidualMlp, "residual MLP"),
        (MapKind.RankingAdapter, "ranking adapter (InfoNCE, low-rank)"),
        (MapKind.Auto, "auto (cross-validated choice)"),
    ];

    public static int Run(string[] args)
    {
        var data = Option(args, "--data") ?? Path.Combine("..", "shared", "data");
        var minilmQueries = int.Parse(Option(args, "--minilm-queries") ?? "3000", CultureInfo.InvariantCulture);
        var fasttextQueries = int.Parse(Option(args, "--fasttext-queries") ?? "2000", CultureInfo.InvariantCulture);
        var anchorCounts = (Option(args, "--anchors") ?? "500,2000,5000,20000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var plotPath = Option(args, "--plot") ?? Path.Combine("docs", "img", "maps-minilm-arctic.png");
        var markdownPath = Option(args, "--markdown");
        var reference = !args.Contains("--no-reference");
        var mlp = !args.Contains("--no-mlp");
        QueryAnchors = int.Parse(Option(args, "--query-anchors") ?? "0", CultureInfo.InvariantCulture);

        // --two-sided [--two-sided-kind KIND]: also measure the old gallery re-projected into the new space by a map of KIND (default canonical-Q).
        MapKind? twoSided = args.Contains("--two-sided") ? Enum.Parse<MapKind>(Option(args, "--two-sided-kind") ?? "CanonicalQ", ignoreCase: true) : null;
        var kinds = Option(args, "--kinds")?.Split(',').Select(k => Enum.Parse<MapKind>(k, ignoreCase: true)).ToHashSet();
        var total = Stopwatch.StartNew();

        PairSpec[] pairs =
        [
            new("MiniLM→Arctic (new arctic 384, old minilm 384)", "MiniLM→Arctic", Path.Combine(data, "wordnet-minilm-arctic"), "arctic", "minilm", minilmQueries),
            new("fastText cbow→skipgram (new cbow 128, old skipgram 96)", "cbow→skip", Path.Combine(data, "wordnet-fasttext"), "M_new", "M_old", fasttextQueries),
            new("fastText skipgram→cbow (new skipgram 96, old cbow 128)", "skip→cbow", Path.Combine(data, "wordnet-fasttext"), "M_old", "M_new", fasttextQueries),
        ];

        var md = new StringBuilder();
        var baselines = new List<string>();
        var rows = new List<ResultRow>();
        var applyMaps = new List<(string Label, CompatibilityMap Map)>();
        var notes = new List<string>();
        var pairFilter = Option(args, "--pairs")?.Split(',');
        AutoBudgetSeconds = double.Parse(Option(args, "--auto-budget") ?? "120", CultureInfo.InvariantCulture);
        foreach (var pair in pairs.Where(p => pairFilter is null || pairFilter.Any(f => p.Short.Contains(f, StringComparison.OrdinalIgnoreCase))))
        {
            RunPair(pair, anchorCounts, reference, mlp, twoSided, kinds, baselines, rows, applyMaps, notes);
        }

        md.AppendLine(Inv($"Query samples: MiniLM→Arctic {Math.Min(minilmQueries, 3000)} of 3000 queries, fastText {fasttextQueries} of 43,598 (System.Random({QuerySeed}) shuffle, first N); gallery = all items of the old model; exact inner product; rank = items scoring strictly higher."));
        md.AppendLine(Inv($"Anchors: the first N of a System.Random({AnchorSeed}) shuffle of all item rows (nested: 500 ⊂ 2000 ⊂ …), disjoint from nothing (a query's relevant item may be an anchor); MapPipeline.Run holds out {HeldOutFraction:P0} (seed {SplitSeed}) for identification, so maps are fitted on 0.8·N; the numpy reference is fitted on exactly those 0.8·N rows."));
        md.AppendLine();
        md.AppendLine("| pair | setting | R@1 | R@10 |");
        md.AppendLine("|---|---|---|---|");
        foreach (var line in baselines)
        {
            md.AppendLine(line);
        }

        md.AppendLine();
        md.AppendLine("| pair | kind | anchors (fit / held-out) | R@1 | R@10 | R@1, R@10 ÷ old→old | R@1, R@10 ÷ new→new | held-out anchors: ident. R@1 / mean cos | numpy ref R@1 / R@10 | ours ÷ ref (R@10) | fit s |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            md.AppendLine(r.Markdown());
        }

        md.AppendLine();
        foreach (var note in notes)
        {
            md.AppendLine(Inv($"- {note}"));
        }

        md.AppendLine();
        md.AppendLine(ApplyCostTable(applyMaps));
        md.AppendLine(Plot(rows.Where(r => r.PairShort == "MiniLM→Arctic").ToList(), plotPath));
        md.AppendLine(Inv($"Total run time {total.Elapsed.TotalSeconds:F0} s."));
        var text = md.ToString();
        Console.WriteLine();
        Console.WriteLine(text);
        if (markdownPath is not null)
        {
            File.WriteAllText(markdownPath, text);
        }

        return 0;
    }

    private static void RunPair(PairSpec pair, int[] anchorCounts, bool reference, bool mlp, MapKind? twoSided, HashSet<MapKind>? kinds, List<string> baselines, List<ResultRow> rows, List<(string, CompatibilityMap)> applyMaps, List<string> notes)
    {
        Console.Error.WriteLine(Inv($"[{DateTime.UtcNow:HH:mm:ss}] {pair.Name}: loading"));
        var newItems = NpyFile.ReadMatrix(Path.Combine(pair.Folder, pair.NewPrefix + ".items.npy"));
        var oldItems = NpyFile.ReadMatrix(Path.Combine(pair.Folder, pair.OldPrefix + ".items.npy"));
        var newQueriesAll = NpyFile.ReadMatrix(Path.Combine(pair.Folder, pair.NewPrefix + ".queries.npy"));
        var oldQueriesAll = NpyFile.ReadMatrix(Path.Combine(pair.Folder, pair.OldPrefix + ".queries.npy"));
        var relevantAll = NpyFile.ReadInt32(Path.Combine(pair.Folder, "queries.relevant_item_row.npy"));
        int dn = newItems.Columns, dOld = oldItems.Columns;

        var queryRows = Enumerable.Range(0, newQueriesAll.Rows).ToArray();
        new Random(QuerySeed).Shuffle(queryRows);
        // --query-anchors N: N query pairs (new and old embedding of the same query text), disjoint from the evaluated
        // queries, join the item anchors: measures what query-like anchors (e.g. operator evaluation queries) are worth.
        var queryAnchorRows = QueryAnchors == 0 ? [] : queryRows[Math.Min(pair.QuerySample, queryRows.Length - QueryAnchors)..][..QueryAnchors];
        queryRows = queryRows[..Math.Min(pair.QuerySample, queryRows.Length - QueryAnchors)];
        Array.Sort(queryRows);
        var newQueries = Gather(newQueriesAll.Data, dn, queryRows);
        var oldQueries = Gather(oldQueriesAll.Data, dOld, queryRows);
        var relevant = queryRows.Select(q => new[] { relevantAll[q] }).ToArray();

        var oldToOld = RankingEvaluator.Evaluate(oldQueries, oldItems.Data, dOld, relevant, Metric.InnerProduct);
        var newToNew = RankingEvaluator.Evaluate(newQueries, newItems.Data, dn, relevant, Metric.InnerProduct);
        baselines.Add(Inv($"| {pair.Short} | old→old | {oldToOld.RecallAt1:F4} | {oldToOld.RecallAt10:F4} |"));
        baselines.Add(Inv($"| {pair.Short} | new→new | {newToNew.RecallAt1:F4} | {newToNew.RecallAt10:F4} |"));
        if (dn == dOld)
        {
            var unmapped = RankingEvaluator.Evaluate(newQueries, oldItems.Data, dOld, relevant, Metric.InnerProduct);
            baselines.Add(Inv($"| {pair.Short} | new→old unmapped | {unmapped.RecallAt1:F4} | {unmapped.RecallAt10:F4} |"));
        }
        else
        {
            baselines.Add(Inv($"| {pair.Short} | new→old unmapped | n/a ({dn}-d vs {dOld}-d) | n/a |"));
        }

        Console.Error.WriteLine(Inv($"[{DateTime.UtcNow:HH:mm:ss}] {pair.Short}: old→old R@10 {oldToOld.RecallAt10:F4}, new→new {newToNew.RecallAt10:F4} on {queryRows.Length} queries"));

        var itemOrder = Enumerable.Range(0, newItems.Rows).ToArray();
        new Random(AnchorSeed).Shuffle(itemOrder);
        var fitsForReference = new Dictionary<string, int[]>();
        var oursForReference = new Dictionary<string, Dictionary<string, string>>();
        var pairRows = new List<ResultRow>();
        var twoSidedRows = new List<ResultRow>();
        foreach (var count in anchorCounts)
        {
            if (count > newItems.Rows)
            {
                notes.Add(Inv($"{pair.Short}: {count} anchors skipped, the set has {newItems.Rows} items."));
                continue;
            }

            var anchorRows = itemOrder[..count];
            Array.Sort(anchorRows);
            var anchors = new AnchorSet(
                [.. Gather(newItems.Data, dn, anchorRows), .. Gather(newQueriesAll.Data, dn, queryAnchorRows)],
                dn,
                [.. Gather(oldItems.Data, dOld, anchorRows), .. Gather(oldQueriesAll.Data, dOld, queryAnchorRows)],
                dOld);
            if (queryAnchorRows.Length == 0)
            {
                fitsForReference[count.ToString(CultureInfo.InvariantCulture)] = FitRows(anchors, anchorRows);
            }
            if (twoSided is { } gallerySide)
            {
                twoSidedRows.Add(TwoSided(pair, gallerySide, anchorRows, count, newItems, oldItems, newQueries, relevant, oldToOld, newToNew, notes));
            }

            foreach (var (kind, label) in Kinds)
            {
                if ((kind == MapKind.ResidualMlp && !mlp) || (kinds is not null && !kinds.Contains(kind)))
                {
                    continue;
                }

                if (kind == MapKind.OrthogonalExtend && dn < dOld)
                {
                    pairRows.Add(ResultRow.Skipped(pair.Short, label, kind, count, Inv($"n/a: extend needs d_new ≥ d_old ({dn} < {dOld}); an orthogonal Q ∈ O({dn}) cannot carry {dOld} old coordinates")));
                    continue;
                }

                var progressLabel = Inv($"{pair.Short} {label} {count}");
                var options = new MapFitOptions
                {
                    Kind = kind,
                    HeldOutFraction = HeldOutFraction,
                    Seed = SplitSeed,
                    Progress = new ConsoleProgress(progressLabel),
                    Auto = new AutoMapOptions { BudgetSeconds = AutoBudgetSeconds },
                };
                var watch = Stopwatch.StartNew();
                MapFitResult result;
                try
                {
                    result = MapPipeline.Run(anchors, options);
                }
                catch (RetrievalException e) when (e.Path is not null)
                {
                    // E.g. AUTO's cross-validation folds at 500 anchors of 384-d hold fewer pairs than dimensions.
                    pairRows.Add(ResultRow.Skipped(pair.Short, label, kind, count, "n/a: " + e.Message));
                    Console.Error.WriteLine(Inv($"[{DateTime.UtcNow:HH:mm:ss}] {progressLabel}: not fitted: {e.Message}"));
                    continue;
                }

                var fitSeconds = watch.Elapsed.TotalSeconds;
                var map = result.Map;
                var mapped = Prefix(map.ApplyBatch(newQueries, queryRows.Length), map.OutputDimension, dOld);
                var scores = RankingEvaluator.Evaluate(mapped, oldItems.Data, dOld, relevant, Metric.InnerProduct);
                var rowLabel = label;
                if (result.Report.AutoSelection is { } selection)
                {
                    rowLabel = Inv($"auto → {selection.Chosen}");
                    notes.Add(Inv($"{pair.Short}, {count} anchors, auto ({selection.Folds}-fold, budget {selection.BudgetSeconds:G4} s): {selection.Reason}. Candidates: ")
                        + string.Join("; ", selection.Candidates.Select(c => c.Outcome == AutoCandidateOutcome.Scored
                            ? Inv($"{c.Kind} CV ident. R@10 {c.HeldOutRecallAt10:F4}, neighbour agreement@10 {c.HeldOutNeighbourRecallAt10:F4}, score {c.Score:F4} in {c.FitSeconds:F1} s")
                            : Inv($"{c.Kind} {c.Outcome} after {c.FitSeconds:F1} s ({c.Reason})"))));
                }

                var row = new ResultRow(pair.Short, rowLabel, kind, count, result.Report.FitAnchors, result.Report.HeldOutAnchors, scores, oldToOld, newToNew, result.Report.IdentificationRecallAt1, result.Report.MeanCosine, fitSeconds);
                pairRows.Add(row);
                if (reference && ReferenceKey(kind) is { } key && kind is MapKind.LambdaOrthogonal or MapKind.OrthogonalExtend)
                {
                    // The reference compares its own solution with ours (objective value, distance, orthogonality).
                    var weightsPath = Path.Combine(Path.GetTempPath(), Inv($"maps-reference-{Environment.ProcessId}-{pair.NewPrefix}-{pair.OldPrefix}-{count}-{key}.npy"));
                    using (var file = File.Create(weightsPath))
                    {
                        NpyFile.Write(file, map.Weights, map.InputDimension, map.OutputDimension);
                    }

                    var countKey = count.ToString(CultureInfo.InvariantCulture);
                    if (!oursForReference.TryGetValue(countKey, out var byKind))
                    {
                        oursForReference[countKey] = byKind = [];
                    }

                    byKind[key] = weightsPath;
                }

                Console.Error.WriteLine(Inv($"[{DateTime.UtcNow:HH:mm:ss}] {pair.Short} {label} {count}: R@1 {scores.RecallAt1:F4} R@10 {scores.RecallAt10:F4} held-out ident R@1 {row.HeldOutR1:F4} cos {result.Report.MeanCosine:F4} fit {fitSeconds:F1} s"));
                if (kind == MapKind.ResidualMlp && count == anchorCounts.Where(c => c <= newItems.Rows).Max())
                {
                    applyMaps.Add((Inv($"residual MLP {dn}→{dOld} (hidden {map.Residual?.Hidden ?? 0}, fitted on {pair.Short})"), map));
                }
            }
        }

        if (reference)
        {
            RunReference(pair, queryRows, fitsForReference, oursForReference, pairRows, notes);
        }

        rows.AddRange(pairRows);
        rows.AddRange(twoSidedRows);
    }

    /// <summary>
    /// Two-sided re-projection measured (issue 18 item 3): the map is fitted the other way, old → new, on the same anchors
    /// and split, and applied to every stored old vector; queries stay native new vectors. The gallery map is applied to
    /// the distribution it was fitted on (items), where a query-side map is applied to queries it never saw. The cost is
    /// the wall and process CPU time of re-projecting the whole gallery, per million vectors.
    /// </summary>
    private static ResultRow TwoSided(PairSpec pair, MapKind kind, int[] anchorRows, int count, VectorMatrix newItems, VectorMatrix oldItems, float[] newQueries, int[][] relevant, RetrievalScores oldToOld, RetrievalScores newToNew, List<string> notes)
    {
        int dn = newItems.Columns, dOld = oldItems.Columns;
        var reversed = new AnchorSet(Gather(oldItems.Data, dOld, anchorRows), dOld, Gather(newItems.Data, dn, anchorRows), dn);
        var watch = Stopwatch.StartNew();
        var result = MapPipeline.Run(reversed, new MapFitOptions { Kind = kind, HeldOutFraction = HeldOutFraction, Seed = SplitSeed });
        var fitSeconds = watch.Elapsed.TotalSeconds;
        var cpuBefore = ProcessCpu.Milliseconds();
        watch.Restart();
        var gallery = result.Map.ApplyBatch(oldItems.Data, oldItems.Rows);
        var wallPerMillion = watch.Elapsed.TotalSeconds * 1e6 / oldItems.Rows;
        var cpuPerMillion = (ProcessCpu.Milliseconds() - cpuBefore) / 1000.0 * 1e6 / oldItems.Rows;
        var scores = RankingEvaluator.Evaluate(newQueries, gallery, dn, relevant, Metric.InnerProduct);
        notes.Add(Inv($"{pair.Short} two-sided ({kind}), {count} anchors: re-projecting {oldItems.Rows:N0} stored old vectors ({dOld}→{dn}) costs {wallPerMillion:F1} s wall and {cpuPerMillion:F1} s CPU per million vectors (no model inference)."));
        Console.Error.WriteLine(Inv($"[{DateTime.UtcNow:HH:mm:ss}] {pair.Short} two-sided {kind} {count}: R@1 {scores.RecallAt1:F4} R@10 {scores.RecallAt10:F4} ({scores.RecallAt10 / oldToOld.RecallAt10:F3}× old→old), re-project {wallPerMillion:F1} s/M"));
        return new ResultRow(pair.Short, Inv($"two-sided: old gallery → new space ({kind}), native queries"), kind, count, result.Report.FitAnchors, result.Report.HeldOutAnchors, scores, oldToOld, newToNew, result.Report.IdentificationRecallAt1, result.Report.MeanCosine, fitSeconds);
    }

    /// <summary>The item rows <see cref="MapPipeline"/> fits on: its own split of <paramref name="anchors"/>, checked against the split it makes.</summary>
    private static int[] FitRows(AnchorSet anchors, int[] anchorRows)
    {
        // Same Fisher–Yates as AnchorSet.Split; verified below on the actual split so the reference cannot drift.
        var order = Enumerable.Range(0, anchors.Count).ToArray();
        var random = new Random(SplitSeed);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        var heldOut = (int)Math.Round(anchors.Count * HeldOutFraction, MidpointRounding.AwayFromZero);
        var fit = order[heldOut..];
        Array.Sort(fit);
        var split = anchors.Split(HeldOutFraction, SplitSeed);
        if (split.Fit.Count != fit.Length || !split.Fit.New.SequenceEqual(anchors.Select(fit).New))
        {
            throw new InvalidOperationException("reproduced anchor split differs from AnchorSet.Split");
        }

        return fit.Select(i => anchorRows[i]).ToArray();
    }

    /// <summary>The name <c>maps_reference.py</c> gives the independent fit of a kind; null for kinds it does not fit (the residual MLP is not linear).</summary>
    private static string? ReferenceKey(MapKind kind) => kind switch
    {
        MapKind.Orthogonal => "orthogonal",
        MapKind.CanonicalQ => "centred",
        MapKind.Affine => "ridge",
        MapKind.LambdaOrthogonal => "lambda_orthogonal",
        MapKind.OrthogonalExtend => "orthogonal_extend",
        _ => null,
    };

    private static void RunReference(PairSpec pair, int[] queryRows, Dictionary<string, int[]> fits, Dictionary<string, Dictionary<string, string>> ours, List<ResultRow> pairRows, List<string> notes)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "peers", "maps_reference.py");
        var jobPath = Path.Combine(Path.GetTempPath(), Inv($"maps-reference-{Environment.ProcessId}-{pair.NewPrefix}-{pair.OldPrefix}.json"));
        var job = new Dictionary<string, object>
        {
            ["new_items"] = Path.GetFullPath(Path.Combine(pair.Folder, pair.NewPrefix + ".items.npy")),
            ["old_items"] = Path.GetFullPath(Path.Combine(pair.Folder, pair.OldPrefix + ".items.npy")),
            ["new_queries"] = Path.GetFullPath(Path.Combine(pair.Folder, pair.NewPrefix + ".queries.npy")),
            ["relevant"] = Path.GetFullPath(Path.Combine(pair.Folder, "queries.relevant_item_row.npy")),
            ["query_rows"] = queryRows,
            ["alpha"] = new MapFitOptions().Alpha,
            ["lambda"] = new MapFitOptions().Lambda,
            ["kinds"] = pairRows.Where(r => r.Scores is not null).Select(r => ReferenceKey(r.Kind)).OfType<string>().Distinct().ToArray(),
            ["fits"] = fits,
            ["ours"] = ours,
        };
        File.WriteAllText(jobPath, JsonSerializer.Serialize(job));
        Console.Error.WriteLine(Inv($"[{DateTime.UtcNow:HH:mm:ss}] {pair.Short}: numpy reference ({jobPath}, anchor rows included)"));
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(jobPath);
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                // The reference logs its Newton iterations: pass them on as progress.
                Console.Error.WriteLine(Inv($"  [numpy] {e.Data}"));
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        var stdout = process.StandardOutput.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            notes.Add(Inv($"{pair.Short}: numpy reference failed (exit {process.ExitCode}): {stderr.ToString().Trim()}"));
            return;
        }

        Console.Error.WriteLine(Inv($"[{DateTime.UtcNow:HH:mm:ss}] {pair.Short}: numpy reference done in {watch.Elapsed.TotalSeconds:F0} s"));

        using var doc = JsonDocument.Parse(stdout.Result);
        foreach (var row in pairRows)
        {
            var key = ReferenceKey(row.Kind);
            if (key is not null && row.Scores is not null && doc.RootElement.TryGetProperty(row.Anchors.ToString(CultureInfo.InvariantCulture), out var fit))
            {
                var pairValue = fit.GetProperty(key);
                row.ReferenceR1 = pairValue[0].GetDouble();
                row.ReferenceR10 = pairValue[1].GetDouble();
                if (fit.TryGetProperty(key + "_check", out var check))
                {
                    notes.Add(Inv($"{pair.Short}, {row.Anchors} anchors, {key} reference check: {CheckText(check)}"));
                }
            }
        }
    }

    private static string CheckText(JsonElement check) =>
        string.Join(", ", check.EnumerateObject().Select(p => p.Value.ValueKind == JsonValueKind.Number
            ? Inv($"{p.Name} {p.Value.GetDouble():G6}")
            : Inv($"{p.Name} {p.Value}")));

    private static string ApplyCostTable(List<(string Label, CompatibilityMap Map)> fitted)
    {
        var rng = new Random(1);
        var maps = new List<(string Label, CompatibilityMap Map)>();
        foreach (var d in new[] { 96, 128, 384 })
        {
            var w = Enumerable.Range(0, d * d).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            var mean = Enumerable.Range(0, d).Select(_ => (float)rng.NextDouble()).ToArray();
            maps.Add((Inv($"linear {d}→{d} (centred: x − μ, ·W, + b)"), new CompatibilityMap(MapKind.CanonicalQ, d, d, w, mean, mean)));
        }

        maps.AddRange(fitted);
        var sb = new StringBuilder();
        sb.AppendLine("Map application cost, one thread, `CompatibilityMap.Apply` on one query at a time (Stopwatch over the loop; CPU = process CPU time, excludes descheduled time on this loaded machine):");
        sb.AppendLine();
        sb.AppendLine("| map | queries timed | µs/query wall | µs/query CPU |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var (label, map) in maps)
        {
            var (iterations, wall, cpu) = TimeApply(map);
            sb.AppendLine(Inv($"| {label} | {iterations:N0} | {wall:F2} | {cpu:F2} |"));
        }

        return sb.ToString();
    }

    private static (int Iterations, double Wall, double Cpu) TimeApply(CompatibilityMap map)
    {
        var x = new float[map.InputDimension];
        var y = new float[map.OutputDimension];
        x.AsSpan().Fill(0.05f);
        for (var i = 0; i < 5000; i++)
        {
            map.Apply(x, y);
        }

        var iterations = map.InputDimension * map.OutputDimension > 20000 ? 50_000 : 200_000;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            x[i % x.Length] += 1e-6f;
            map.Apply(x, y);
        }

        var wall = watch.Elapsed.TotalMicroseconds / iterations;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / iterations;
        return (iterations, wall, cpu);
    }

    private static string Plot(List<ResultRow> rows, string path)
    {
        try
        {
            var plot = new ScottPlot.Plot();
            foreach (var group in rows.Where(r => r.Scores is not null).GroupBy(r => r.Label))
            {
                var points = group.OrderBy(r => r.Anchors).ToArray();
                var scatter = plot.Add.Scatter(points.Select(r => (double)r.Anchors).ToArray(), points.Select(r => r.Scores!.RecallAt10).ToArray());
                scatter.LegendText = group.Key;
                scatter.MarkerSize = 7;
            }

            var oldToOld = rows.FirstOrDefault(r => r.OldToOld is not null)?.OldToOld;
            if (oldToOld is not null)
            {
                var line = plot.Add.HorizontalLine(oldToOld.RecallAt10);
                line.LegendText = Inv($"old→old (minilm) {oldToOld.RecallAt10:F3}");
                line.LinePattern = ScottPlot.LinePattern.Dashed;
            }

            plot.Title("MiniLM→Arctic: mapped new→old recall@10 vs anchor count");
            plot.XLabel("anchor pairs given (80 % fitted, 20 % held out)");
            plot.YLabel("recall@10 (arctic query → MiniLM items)");
            plot.ShowLegend(ScottPlot.Alignment.LowerRight);
            var full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            plot.SavePng(full, 900, 560);
            return Inv($"Plot written: `{path}`.");
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or IOException or InvalidOperationException)
        {
            return Inv($"Plot skipped: ScottPlot failed to render ({e.GetType().Name}: {e.Message}).");
        }
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

    private static float[] Prefix(float[] rows, int dimension, int prefix)
    {
        if (prefix == dimension)
        {
            return rows;
        }

        var count = rows.Length / dimension;
        var result = new float[count * prefix];
        for (var i = 0; i < count; i++)
        {
            rows.AsSpan(i * dimension, prefix).CopyTo(result.AsSpan(i * prefix));
        }

        return result;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string Inv(FormattableString s) => FormattableString.Invariant(s);

    private sealed record PairSpec(string Name, string Short, string Folder, string NewPrefix, string OldPrefix, int QuerySample);

    private sealed class ResultRow(string pairShort, string label, MapKind kind, int anchors, int fitAnchors, int heldOutAnchors, RetrievalScores? scores, RetrievalScores? oldToOld, RetrievalScores? newToNew, double? heldOutR1, double? heldOutCosine, double fitSeconds)
    {
        public string PairShort { get; } = pairShort;

        public string Label { get; } = label;

        public MapKind Kind { get; } = kind;

        public int Anchors { get; } = anchors;

        public RetrievalScores? Scores { get; } = scores;

        public RetrievalScores? OldToOld { get; } = oldToOld;

        public double? HeldOutR1 { get; } = heldOutR1;

        public double? ReferenceR1 { get; set; }

        public double? ReferenceR10 { get; set; }

        private string? Note { get; init; }

        public static ResultRow Skipped(string pairShort, string label, MapKind kind, int anchors, string note) =>
            new(pairShort, label, kind, anchors, 0, 0, null, null, null, null, null, 0) { Note = note };

        public string Markdown()
        {
            if (Scores is null)
            {
                return Inv($"| {PairShort} | {Label} | {Anchors} | {Note} | | | | | | | |");
            }

            var reference = ReferenceR10 is null ? "—" : Inv($"{ReferenceR1:F4} / {ReferenceR10:F4}");
            var ratio = ReferenceR10 is > 0 ? Inv($"{Scores.RecallAt10 / ReferenceR10.Value:F3}×") : "—";
            return Inv($"| {PairShort} | {Label} | {Anchors} ({fitAnchors} / {heldOutAnchors}) | {Scores.RecallAt1:F4} | {Scores.RecallAt10:F4} | {Ratio(Scores.RecallAt1, OldToOld!.RecallAt1)}, {Ratio(Scores.RecallAt10, OldToOld.RecallAt10)} | {Ratio(Scores.RecallAt1, newToNew!.RecallAt1)}, {Ratio(Scores.RecallAt10, newToNew.RecallAt10)} | {HeldOutR1:F4} / {heldOutCosine:F4} | {reference} | {ratio} | {fitSeconds:F1} |");
        }

        private static string Ratio(double a, double b) => b > 0 ? Inv($"{a / b:F2}") : "—";
    }

    /// <summary>Writes each training epoch to stderr, synchronously (the fit's own thread), so the log shows where a fit stands.</summary>
    private sealed class ConsoleProgress(string label) : IProgress<MapFitProgress>
    {
        public void Report(MapFitProgress value) =>
            Console.Error.WriteLine(Inv($"  {label}: epoch {value.Epoch}/{value.MaxEpochs} validation loss {value.ValidationLoss:F4} ident R@1 {value.ValidationRecallAt1:F4} best epoch {value.BestEpoch} ({value.Elapsed.TotalSeconds:F1} s)"));
    }
}
