using System.Diagnostics;
using System.Globalization;
using System.Text;
using Retrieval.Core.Errors;
using Retrieval.Engine.Indexes;

namespace Retrieval.Benchmarks.Ann;

/// <summary>
/// Recall@10 vs single-query QPS curves of HNSW and IVF-PQ through our index layer (<see cref="IVectorIndex"/>: USearch
/// for HNSW, our Faiss shim for IVF-PQ) and through raw Faiss (python3-faiss) with the same factory string, training
/// sample, efSearch / nprobe values and data, in the same run. Both sides search one query at a time on one thread.
/// </summary>
internal static class AnnBenchmark
{
    private const int K = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        if (options.FromLogs.Count > 0)
        {
            // Re-plots and re-tabulates earlier runs (their printed points) without measuring again.
            var logged = options.FromLogs.SelectMany(AnnLog.Read).ToList();
            Console.WriteLine(Markdown(logged, []));
            Console.WriteLine(AnnPlot.Write(logged, options.Plot));
            return 0;
        }

        var datasets = new List<Func<AnnDataset>>();
        foreach (var name in options.Datasets)
        {
            datasets.Add(name switch
            {
                "fasttext" => () => AnnDataset.FromNpy("wordnet-fasttext M_old 60k×96", Path.Combine(options.DataRoot, "wordnet-fasttext", "M_old.items.npy"), Path.Combine(options.DataRoot, "wordnet-fasttext", "M_old.queries.npy"), options.Queries, K),
                "minilm" => () => AnnDataset.FromNpy("wordnet-minilm 10k×384", Path.Combine(options.DataRoot, "wordnet-minilm-arctic", "minilm.items.npy"), Path.Combine(options.DataRoot, "wordnet-minilm-arctic", "minilm.queries.npy"), options.Queries, K),
                "synthetic" => () => AnnDataset.Synthetic(options.SyntheticCount, options.Queries, 128, K, seed: 42),
                _ => throw new ArgumentException($"unknown data set '{name}' (fasttext, minilm, synthetic)"),
            });
        }

        Console.WriteLine(Environment());
        var points = new List<AnnPoint>();
        var builds = new List<string>();
        foreach (var load in datasets)
        {
            var data = load();
            Console.WriteLine($"== {data.Name}: {data.Count} vectors, {data.QueryCount} queries, {data.Metric}");
            var pq = data.Dimension % 16 == 0 ? 16 : 8;
            var nlist = Math.Clamp((int)Math.Sqrt(data.Count) * 2, 16, 1024);
            // "ivfpq-fine": one PQ code per two dimensions, the code size at which refine×4 reaches recall@10 0.95
            // (coarser codes plateau below it: the "ivfpq-refine" rows).
            var configurations = new[]
            {
                ("hnsw", $"HNSW32,efConstruction={options.EfConstruction}", options.EfValues, false),
                ("ivfpq", $"IVF{nlist},PQ{pq}x8", options.NProbeValues, false),
                ("ivfpq-refine", $"IVF{nlist},PQ{pq}x8", options.NProbeValues, true),
                ("ivfpq-fine", $"IVF{nlist},PQ{data.Dimension / 2}x8", options.NProbeValues, true),
            };
            foreach (var (name, specText, values, refine) in configurations)
            {
                if (!options.Indexes.Contains(name))
                {
                    continue;
                }

                var spec = IndexSpec.Parse(specText, data.Dimension, FieldPath.Of("index"));
                var indexing = new IndexingOptions { HnswEfConstruction = options.EfConstruction, BuildThreads = Math.Max(1, System.Environment.ProcessorCount), TrainingPointsPerList = 39 };
                var watch = Stopwatch.StartNew();
                using var index = IndexBuilder.Build(spec, data.Metric, data.Storage, indexing, null, CancellationToken.None);
                var ourBuild = watch.Elapsed.TotalSeconds;
                // One query at a time on one thread, as the peer (omp_set_num_threads(1)): no OpenMP fan-out per query.
                global::Retrieval.Faiss.FaissRuntime.ThreadCount = 1;
                var ours = values.Select(v => Measure(data, index, spec, v, refine ? RefineFactor : 1)).ToList();
                global::Retrieval.Faiss.FaissRuntime.ThreadCount = 0;
                points.AddRange(ours);
                ours.ForEach(p => Console.WriteLine(Format(p)));

                var directory = Path.Combine(options.WorkDirectory, data.Name.Split(' ')[0]);
                data.WriteTo(directory, spec.IsIvf ? IndexBuilder.TrainingSample(index.Spec, data.Storage, indexing) : []);
                // Faiss's factory strings have no efConstruction term: the peer sets it as a parameter (the same value).
                var peerFactory = refine ? $"{index.Spec},RFlat" : spec.IsIvf ? index.Spec.ToString() : $"HNSW{spec.M}";
                using var peerTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(options.PeerTimeoutSeconds));
                double peerBuild;
                List<AnnPoint> peer;
                try
                {
                    (peerBuild, peer) = await AnnPythonPeer.RunAsync(data, directory, peerFactory, K, values, options.EfConstruction, peerTimeout.Token);
                }
                catch (OperationCanceledException) when (peerTimeout.IsCancellationRequested)
                {
                    // Debian's generic Faiss build needs tens of minutes for some HNSW builds on this machine: bounded.
                    Console.WriteLine(Inv($"{data.Name} {index.Spec} python3-faiss: stopped after {options.PeerTimeoutSeconds} s (--peer-timeout)"));
                    builds.Add(Inv($"| {data.Name} | {index.Spec} | {ourBuild:F1} s | not finished in {options.PeerTimeoutSeconds} s |"));
                    continue;
                }

                // One label per index for both sides (the peer's factory string spells refine and efConstruction differently).
                peer = [.. peer.Select(p => p with { Index = ours[0].Index })];

                points.AddRange(peer);
                peer.ForEach(p => Console.WriteLine(Format(p)));
                builds.Add(Inv($"| {data.Name} | {index.Spec} | {ourBuild:F1} s | {peerBuild:F1} s |"));
            }
        }

        var markdown = Markdown(points, builds);
        Console.WriteLine(markdown);
        if (options.Markdown is { } md)
        {
            await File.WriteAllTextAsync(md, markdown);
        }

        Console.WriteLine(AnnPlot.Write(points, options.Plot));
        return 0;
    }

    // The engine's serving path for quantized indexes: refine × k candidates, re-scored exactly, best k kept.
    private const int RefineFactor = 4;

    private static AnnPoint Measure(AnnDataset data, IVectorIndex index, IndexSpec spec, int value, int refine)
    {
        var parameters = spec.IsIvf ? new IndexSearchParameters(0, value) : new IndexSearchParameters(value, 0);
        var ids = new long[data.QueryCount * K];
        var candidates = new long[K * refine];
        var scores = new float[K * refine];
        var best = double.MaxValue;
        for (var trial = 0; trial < 2; trial++)
        {
            Array.Fill(ids, -1);
            var watch = Stopwatch.StartNew();
            for (var q = 0; q < data.QueryCount; q++)
            {
                if (refine == 1)
                {
                    index.Search(data.Query(q), K, parameters, null, ids.AsSpan(q * K, K), scores);
                    continue;
                }

                var found = index.Search(data.Query(q), K * refine, parameters, null, candidates, scores);
                Rerank(data, data.Query(q), candidates.AsSpan(0, found), scores.AsSpan(0, found));
                candidates.AsSpan(0, Math.Min(K, found)).CopyTo(ids.AsSpan(q * K, K));
            }

            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        var label = refine > 1 ? $"{spec}+refine×{refine}" : spec.ToString();
        return new AnnPoint(data.Name, label, spec.IsIvf ? "ours (Faiss shim)" : "ours (USearch)", value, data.Recall(ids, K), data.QueryCount / best);
    }

    private static void Rerank(AnnDataset data, ReadOnlySpan<float> query, Span<long> ids, Span<float> scores)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            var row = data.Storage.Row((int)ids[i]);
            scores[i] = data.Metric == Core.Model.Metric.L2
                ? -System.Numerics.Tensors.TensorPrimitives.Distance(query, row)
                : System.Numerics.Tensors.TensorPrimitives.Dot(query, row);
        }

        // Best first: sort by descending score.
        scores.Sort(ids, static (a, b) => b.CompareTo(a));
    }

    private static string Markdown(List<AnnPoint> points, List<string> builds)
    {
        var text = new StringBuilder();
        text.AppendLine("| data | index | engine | efSearch / nprobe | recall@10 | QPS (1 thread) |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var p in points)
        {
            text.AppendLine(Inv($"| {p.Dataset} | {p.Index} | {p.Engine} | {p.Parameter} | {p.Recall:F3} | {p.Qps:F0} |"));
        }

        text.AppendLine();
        text.AppendLine("| data | index | QPS ours / raw at the first point with recall@10 ≥ 0.95 (ours; raw) |");
        text.AppendLine("|---|---|---|");
        foreach (var group in points.GroupBy(p => (p.Dataset, p.Index)))
        {
            var ours = group.Where(p => p.Engine.StartsWith("ours", StringComparison.Ordinal)).OrderBy(p => p.Parameter).FirstOrDefault(p => p.Recall >= 0.95);
            var raw = group.Where(p => p.Engine == "python3-faiss").OrderBy(p => p.Parameter).FirstOrDefault(p => p.Recall >= 0.95);
            text.AppendLine(ours is null || raw is null
                ? Inv($"| {group.Key.Dataset} | {group.Key.Index} | recall 0.95 not reached by {(ours is null ? "ours" : "")} {(raw is null ? "raw" : "")} |")
                : Inv($"| {group.Key.Dataset} | {group.Key.Index} | {ours.Qps / raw.Qps:F2}× ({ours.Qps:F0} at {ours.Parameter}, recall {ours.Recall:F3}; {raw.Qps:F0} at {raw.Parameter}, recall {raw.Recall:F3}) |"));
        }

        text.AppendLine();
        text.AppendLine("| data | index | build ours | build raw |");
        text.AppendLine("|---|---|---|---|");
        builds.ForEach(b => text.AppendLine(b));
        return text.ToString();
    }

    private static string Format(AnnPoint p) => Inv($"{p.Dataset} {p.Index} {p.Engine} param={p.Parameter} recall={p.Recall:F3} qps={p.Qps:F0}");

    private static string Environment() =>
        Inv($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {System.Environment.ProcessorCount} CPUs, load {File.ReadAllText("/proc/loadavg").Trim()}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record Options(
        IReadOnlyList<string> FromLogs, IReadOnlyList<string> Datasets, IReadOnlyList<string> Indexes, string DataRoot, int SyntheticCount, int Queries,
        string WorkDirectory, string? Markdown, string Plot, int[] EfValues, int[] NProbeValues, int PeerTimeoutSeconds, int EfConstruction)
    {
        public static Options Parse(string[] args)
        {
            string Value(string name, string fallback)
            {
                var i = Array.IndexOf(args, name);
                return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
            }

            return new Options(
                args.Contains("--from-logs") ? Value("--from-logs", "").Split(',') : [],
                Value("--data", "fasttext,minilm,synthetic").Split(','),
                Value("--indexes", "hnsw,ivfpq,ivfpq-refine,ivfpq-fine").Split(','),
                Value("--data-root", "../shared/data"),
                int.Parse(Value("--n", "200000"), CultureInfo.InvariantCulture),
                int.Parse(Value("--queries", "1000"), CultureInfo.InvariantCulture),
                Value("--out", Path.Combine(Path.GetTempPath(), "retrieval-ann")),
                args.Contains("--markdown") ? Value("--markdown", "") : null,
                Value("--plot", "docs/ann-recall-qps"),
                Ints(Value("--ef", "16,32,64,128,256,512")),
                Ints(Value("--nprobe", "1,2,4,8,16,32,64,128")),
                int.Parse(Value("--peer-timeout", "1800"), CultureInfo.InvariantCulture),
                int.Parse(Value("--ef-construction", "40"), CultureInfo.InvariantCulture));
        }

        private static int[] Ints(string list) => [.. list.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))];
    }
}
