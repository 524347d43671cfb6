using System.Diagnostics;
using System.Globalization;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Search;

namespace Retrieval.Benchmarks.MultiVector;

/// <summary>
/// MUVERA on the WordNet × fastText multi-vectors: single-core FDE encoding throughput against the measured FMA roof,
/// and recall@10 of FDE → top-K' → exact Chamfer rerank against the exact Chamfer top-10 on the unpruned tokens, for
/// both presets, with and without CRISP-style k-means pruning of the documents.
/// Usage: <c>muvera [all|encode|recall] [model=M_old] [queries=200] [folder=/work/shared/data/wordnet-fasttext]
/// [configs] [prunings]</c> (model <c>minilm</c> or <c>minilm:N</c>: the MiniLM token cache, folder <c>-</c> for its default): configs are <c>R,k_sim,d_proj[,c|,cN]</c> separated by <c>;</c> (<c>c</c>: SimHash
/// centered on the mean of every item token; <c>cN</c>: on the mean of the first N item tokens, as a space that learns
/// its center from a first write of N tokens), prunings are <c>none</c>, <c>dedup</c> (exact repeats),
/// <c>dedup@δ</c> (within Euclidean δ), <c>kdN</c>, <c>ratioX</c>, <c>wardN</c> or <c>dedup…+method</c>, separated
/// by <c>,</c>.
/// </summary>
internal static class MuveraBenchmark
{
    private static readonly int[] Shortlists = [10, 25, 50, 100, 200, 500, 1000];
    private const string DefaultConfigs = "20,4,8;20,4,8,c;20,5,16;20,5,16,c";
    private const string DefaultPrunings = "none,dedup,kd8,ratio0.5,kd4";

    public static async Task<int> RunAsync(string[] args)
    {
        var mode = args.Length > 0 ? args[0] : "all";
        if (mode is not ("all" or "encode" or "recall"))
        {
            await Console.Error.WriteLineAsync("usage: muvera [all|encode|recall] [model=M_old] [queries=200] [folder]");
            return 2;
        }

        var model = args.Length > 1 ? args[1] : "M_old";
        var queryCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
        var folder = args.Length > 3 && args[3] != "-" ? args[3] : null;
        var stopwatch = Stopwatch.StartNew();
        var data = WordNetMultiVectors.LoadNamed(model, folder);
        Console.WriteLine($"loaded {data.Items.Count} items ({data.ItemTokenCount} tokens), {data.Queries.Count} queries, d = {data.Dimension}, model {model}, in {stopwatch.Elapsed.TotalSeconds:F1} s");
        if (mode is "all" or "encode")
        {
            EncodeThroughput(data);
        }

        if (mode is "all" or "recall")
        {
            Recall(data, model, queryCount, args.Length > 4 ? args[4] : DefaultConfigs, args.Length > 5 ? args[5] : DefaultPrunings);
        }

        return 0;
    }

    private static void EncodeThroughput(WordNetMultiVectors data)
    {
        // Process CPU time rather than wall time, and best of several trials on both sides: the build machine is
        // shared, and time-slicing would otherwise count other processes' work against the roof and the encoder.
        var roof = FmaRoof.MeasureMultiplyAddsPerSecond();
        Console.WriteLine($"FMA roof, one core, Vector256: {roof / 1e9:F1} G multiply-adds/s (best of 3, process CPU time)");
        // The real items (≈ 11 tokens: per-item work such as writing the whole output weighs in), then 200 long
        // items of 1024 tokens, which show the projection kernel's own rate.
        var concatenated = data.Items.Take(20_000).SelectMany(i => i.Values.ToArray()).ToArray();
        var longItems = Enumerable.Range(0, 200).Select(i => TokenMatrix.FromRowMajor(concatenated.AsSpan(i * 1024 * data.Dimension, 1024 * data.Dimension), data.Dimension)).ToArray();
        foreach (var (sample, label) in new[] { (data.Items.Take(20_000).ToArray(), "items"), (longItems, "long items") })
        {
            EncodeThroughput(sample, label, data.Dimension, roof);
        }
    }

    private static void EncodeThroughput(TokenMatrix[] sample, string label, int dimension, double roof)
    {
        var tokens = sample.Sum(s => (long)s.Count);
        foreach (var parameters in new[] { MuveraParameters.EndToEndPreset(dimension, seed: 1), MuveraParameters.CompactPreset(dimension, seed: 1) })
        {
            var encoder = new MuveraEncoder(parameters);
            var destination = new float[encoder.EncodedLength];
            foreach (var document in new[] { true, false })
            {
                var bestRate = 0.0;
                for (var trial = 0; trial < 5; trial++)
                {
                    var cpu = FmaRoof.ProcessCpuSeconds();
                    foreach (var item in sample)
                    {
                        if (document)
                        {
                            encoder.EncodeDocument(item, destination);
                        }
                        else
                        {
                            encoder.EncodeQuery(item, destination);
                        }
                    }

                    var rate = tokens * (double)encoder.MultiplyAddsPerToken / (FmaRoof.ProcessCpuSeconds() - cpu);
                    bestRate = Math.Max(bestRate, rate);
                }

                Console.WriteLine(
                    $"encode {(document ? "documents" : "queries")} (R, k_sim, d_proj) = ({parameters.Repetitions}, {parameters.KSim}, {parameters.DProj}), {label} of {(double)tokens / sample.Length:F1} tokens: " +
                    $"best {bestRate / encoder.MultiplyAddsPerToken / 1e6:F2} M tokens/s = {bestRate / 1e9:F1} G multiply-adds/s; {100 * bestRate / roof:F0}% of roof " +
                    $"({encoder.MultiplyAddsPerToken} multiply-adds/token, one thread); output checksum {OutputChecksum(encoder, sample, document):X16}");
            }
        }
    }

    /// <summary>
    /// FNV-1a 64 over the bits of every encoding of <paramref name="sample"/>: equal checksums across builds show that
    /// a speed change left every output bit as it was (encodings are persisted and compared bit for bit).
    /// </summary>
    private static ulong OutputChecksum(MuveraEncoder encoder, TokenMatrix[] sample, bool document)
    {
        var hash = 14695981039346656037UL;
        var destination = new float[encoder.EncodedLength];
        foreach (var item in sample)
        {
            if (document)
            {
                encoder.EncodeDocument(item, destination);
            }
            else
            {
                encoder.EncodeQuery(item, destination);
            }

            foreach (var value in destination)
            {
                hash = (hash ^ BitConverter.SingleToUInt32Bits(value)) * 1099511628211UL;
            }
        }

        return hash;
    }

    private static void Recall(WordNetMultiVectors data, string model, int queryCount, string configList, string pruningList)
    {
        var corpusMean = TokenCenter.MeanOf(data.Items, data.Dimension, int.MaxValue);
        var random = new DeterministicRandom(777);
        var queries = Sample(data.Queries, queryCount, random);
        var watch = Stopwatch.StartNew();
        var exact = queries.Select(q => ChamferSearch.Search(q, data.Items, 10).Select(r => r.Row).ToHashSet()).ToArray();
        Console.WriteLine($"exact Chamfer top-10 (brute force, parallel): {watch.Elapsed.TotalMilliseconds / queries.Length:F1} ms/query over {data.Items.Count} items");
        var configs = configList.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(c => ParseConfig(c, data)).ToArray();
        var prunings = pruningList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => (Name: n, Options: ParsePruning(n, out var drop), Drop: drop)).ToArray();
        Console.WriteLine();
        Console.WriteLine($"| pruning | vectors kept | (R,k_sim,d_proj) | center | dims | {string.Join(" | ", Shortlists.Select(s => $"K'={s}"))} |");
        Console.WriteLine($"|---|---|---|---|---|{string.Concat(Shortlists.Select(_ => "---|"))}");
        var curves = new List<(string Label, double[] Recalls)>();
        foreach (var (name, options, drop) in prunings)
        {
            var documents = new TokenMatrix[data.Items.Count];
            Parallel.For(0, documents.Length, i => documents[i] = TokenPruner.Prune(drop is { } keep ? LowInformationTokens.Drop(data.Items[i], corpusMean.AsSpan(), keep) : data.Items[i], options));
            var kept = documents.Sum(d => (long)d.Count) / (double)data.ItemTokenCount;
            if (options.Method != PruningMethod.None || options.Dedup || drop is not null)
            {
                // The pruning's own loss: exact Chamfer on the kept vectors (every item reranked) against the unpruned top-10.
                var hits = queries.Select((q, i) => ChamferSearch.Search(q, documents, 10).Count(r => exact[i].Contains(r.Row))).Sum();
                Console.WriteLine($"{name}: {100 * kept:F1}% of the vectors kept ({1 / kept:F2}× fewer); exact Chamfer on them (K' = all) recall@10 {hits / (10.0 * queries.Length):F3}");
            }

            foreach (var (parameters, centerLabel) in configs)
            {
                var encoder = new MuveraEncoder(parameters);
                var recalls = RecallAtShortlists(encoder, documents, queries, exact, out var timing, out var fdes);
                var preset = $"({parameters.Repetitions},{parameters.KSim},{parameters.DProj})";
                Console.WriteLine(
                    $"| {name} | {100 * kept:F1}% ({1 / kept:F2}× fewer) | {preset} | {centerLabel} | {parameters.EncodedLength} | " +
                    $"{string.Join(" | ", recalls.Select(r => r.ToString("F3", CultureInfo.InvariantCulture)))} |  <!-- {timing} -->");
                curves.Add(($"{name}, {preset}{(parameters.Center is null ? "" : " centered")}", recalls));
                if (options.Method == PruningMethod.None && !options.Dedup && drop is null)
                {
                    Latency(encoder, fdes, documents, queries, preset);
                }
            }
        }

        PlotRecall(curves, model.StartsWith("minilm", StringComparison.Ordinal) ? "docs/img/muvera-recall-minilm.png" : "docs/img/muvera-recall.png",
            model.StartsWith("minilm", StringComparison.Ordinal) ? $"WordNet glosses × MiniLM tokens ({data.Items.Count} items)" : $"WordNet × fastText ({model})",
            model.StartsWith("minilm", StringComparison.Ordinal) ? 0.9 : 0.8);
    }

    /// <summary><c>R,k_sim,d_proj[,c|,cN]</c> (seed 1, as every row of the table).</summary>
    private static (MuveraParameters Parameters, string CenterLabel) ParseConfig(string text, WordNetMultiVectors data)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var parameters = new MuveraParameters
        {
            Dimension = data.Dimension,
            Repetitions = int.Parse(parts[0], CultureInfo.InvariantCulture),
            KSim = int.Parse(parts[1], CultureInfo.InvariantCulture),
            DProj = int.Parse(parts[2], CultureInfo.InvariantCulture),
            Seed = 1,
        };
        if (parts.Length < 4)
        {
            return (parameters, "none");
        }

        var tokens = parts[3] == "c" ? int.MaxValue : int.Parse(parts[3].TrimStart('c'), CultureInfo.InvariantCulture);
        var center = TokenCenter.MeanOf(data.Items, data.Dimension, tokens);
        var label = tokens == int.MaxValue ? "mean of all item tokens" : $"mean of first {tokens} tokens";
        return (parameters with { Center = center }, label);
    }

    /// <summary>
    /// As <see cref="ParsePruning(string)"/>, plus <c>dropX</c> (keep the fraction X of each item's tokens least
    /// similar to the corpus mean token, <see cref="LowInformationTokens"/>; may be followed by <c>+method</c>) and a
    /// <c>raw</c> suffix (centroids kept as plain means) or <c>norm</c> suffix (always re-normalised).
    /// </summary>
    internal static PruningOptions ParsePruning(string name, out double? drop)
    {
        drop = null;
        if (name.StartsWith("drop", StringComparison.Ordinal))
        {
            var plus = name.IndexOf('+', StringComparison.Ordinal);
            drop = double.Parse(plus < 0 ? name[4..] : name[4..plus], CultureInfo.InvariantCulture);
            name = plus < 0 ? "none" : name[(plus + 1)..];
        }

        var normalization = CentroidNormalization.Auto;
        if (name.EndsWith("raw", StringComparison.Ordinal))
        {
            normalization = CentroidNormalization.Never;
            name = name[..^3];
        }
        else if (name.EndsWith("norm", StringComparison.Ordinal))
        {
            normalization = CentroidNormalization.Always;
            name = name[..^4];
        }

        return ParsePruning(name) with { Normalization = normalization };
    }

    private static PruningOptions ParsePruning(string name)
    {
        // dedup, dedup@δ (near duplicates within Euclidean δ), optionally followed by +method.
        var dedup = name.StartsWith("dedup", StringComparison.Ordinal);
        var rest = dedup ? name["dedup".Length..] : name;
        var distance = 0f;
        if (rest.StartsWith('@'))
        {
            var end = rest.IndexOf('+', StringComparison.Ordinal) is var plus and >= 0 ? plus : rest.Length;
            distance = float.Parse(rest[1..end], CultureInfo.InvariantCulture);
            rest = rest[end..];
        }

        rest = rest.TrimStart('+');
        var options = rest switch
        {
            "" or "none" => new PruningOptions(),
            _ when rest.StartsWith("kd", StringComparison.Ordinal) => PruningOptions.KMeans(int.Parse(rest[2..], CultureInfo.InvariantCulture)),
            _ when rest.StartsWith("ratio", StringComparison.Ordinal) => PruningOptions.KMeansToRatio(double.Parse(rest[5..], CultureInfo.InvariantCulture)),
            _ when rest.StartsWith("ward", StringComparison.Ordinal) => PruningOptions.Ward(int.Parse(rest[4..], CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"unknown pruning '{name}' (none, dedup, kdN, ratioX, wardN, dedup+…)"),
        };
        return options with { Dedup = dedup, DedupDistance = distance };
    }

    /// <summary>
    /// Per-query latency of one search through the server's code path (query FDE → exact inner-product top-K' over the
    /// FDE rows → Chamfer rerank to 10) against exact brute-force Chamfer, both with every core, median over the queries.
    /// </summary>
    private static void Latency(MuveraEncoder encoder, FlatVectorStorage fdes, TokenMatrix[] documents, TokenMatrix[] queries, string preset)
    {
        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        var exactTimes = new List<double>();
        foreach (var query in queries.Take(50))
        {
            var watch = Stopwatch.StartNew();
            ChamferSearch.Search(query, documents, 10);
            exactTimes.Add(watch.Elapsed.TotalMilliseconds);
        }

        var exactMs = Median(exactTimes);
        foreach (var shortlist in new[] { 100, 1000 })
        {
            var times = new List<double>();
            foreach (var query in queries.Take(50))
            {
                var watch = Stopwatch.StartNew();
                FdeSearch.Search(encoder, fdes, documents, query, shortlist, 10);
                times.Add(watch.Elapsed.TotalMilliseconds);
            }

            var ms = Median(times);
            Console.WriteLine($"latency {preset}, K'={shortlist}: FDE + rerank {ms:F1} ms/query vs exact brute force {exactMs:F1} ms/query ({exactMs / ms:F1}× faster; median of 50 queries, all cores)");
        }
    }

    private static void PlotRecall(List<(string Label, double[] Recalls)> curves, string path, string dataLabel, double targetRecall)
    {
        try
        {
            var plot = new ScottPlot.Plot();
            var xs = Shortlists.Select(s => Math.Log10(s)).ToArray();
            foreach (var (label, recalls) in curves)
            {
                var scatter = plot.Add.Scatter(xs, recalls);
                scatter.LegendText = label;
                scatter.MarkerSize = 6;
            }

            var target = plot.Add.HorizontalLine(targetRecall);
            target.LegendText = $"target {targetRecall:F2}";
            target.LinePattern = ScottPlot.LinePattern.Dashed;
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, Shortlists.Select(s => s.ToString(CultureInfo.InvariantCulture)).ToArray());
            plot.Title($"{dataLabel}: recall@10 of FDE top-K' + Chamfer rerank vs exact Chamfer");
            plot.XLabel("K' (FDE candidates reranked), log scale");
            plot.YLabel("recall@10 vs exact Chamfer top-10 (unpruned)");
            plot.ShowLegend(ScottPlot.Alignment.LowerRight);
            var full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            plot.SavePng(full, 1000, 640);
            Console.WriteLine($"plot written: {path}");
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or IOException or InvalidOperationException)
        {
            Console.WriteLine($"plot skipped: ScottPlot failed to render ({e.GetType().Name}: {e.Message})");
        }
    }

    private static double[] RecallAtShortlists(MuveraEncoder encoder, TokenMatrix[] documents, TokenMatrix[] queries, HashSet<int>[] exact, out string timing, out FlatVectorStorage storage)
    {
        var dimension = encoder.EncodedLength;
        var watch = Stopwatch.StartNew();
        storage = new FlatVectorStorage(dimension, documents.Length);
        var encoding = new float[dimension];
        foreach (var document in documents)
        {
            storage.Add(encoding);
        }

        var fdes = storage.RawData;
        Parallel.For(0, documents.Length, i => encoder.EncodeDocument(documents[i], fdes.AsSpan(i * dimension, dimension)));
        var encodeSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        var queryFdes = queries.Select(encoder.EncodeQuery).ToArray();
        var candidates = FdeCandidateScan.Search(fdes, documents.Length, dimension, queryFdes, Shortlists[^1]);
        var scanMs = watch.Elapsed.TotalMilliseconds / queries.Length;
        watch.Restart();
        var recalls = new double[Shortlists.Length];
        for (var s = 0; s < Shortlists.Length; s++)
        {
            var hits = 0;
            for (var q = 0; q < queries.Length; q++)
            {
                var shortlist = candidates[q].AsSpan(0, Math.Min(Shortlists[s], candidates[q].Length));
                hits += ChamferSearch.Rerank(queries[q], documents, shortlist, 10).Count(r => exact[q].Contains(r.Row));
            }

            recalls[s] = hits / (10.0 * queries.Length);
        }

        timing = $"encode {encodeSeconds:F1} s (all cores), FDE scan {scanMs:F1} ms/query (batched), reranks {watch.Elapsed.TotalMilliseconds / queries.Length:F1} ms/query for all K'";
        return recalls;
    }

    internal static TokenMatrix[] Sample(IReadOnlyList<TokenMatrix> all, int count, DeterministicRandom random)
    {
        // Partial Fisher–Yates over the indices: the first `count` positions are a uniform sample without replacement.
        var indices = Enumerable.Range(0, all.Count).ToArray();
        count = Math.Min(count, indices.Length);
        for (var i = 0; i < count; i++)
        {
            var j = i + random.NextInt(indices.Length - i);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }

        return indices.Take(count).Select(i => all[i]).ToArray();
    }
}
