using System.Diagnostics;
using System.Globalization;
using Retrieval.Core.MultiVector;

namespace Retrieval.Benchmarks.MultiVector;

/// <summary>
/// MUVERA on the WordNet × fastText multi-vectors: single-core FDE encoding throughput against the measured FMA roof,
/// and recall@10 of FDE → top-K' → exact Chamfer rerank against the exact Chamfer top-10 on the unpruned tokens, for
/// both presets, with and without CRISP-style k-means pruning of the documents.
/// Usage: <c>muvera [all|encode|recall] [model=M_old] [queries=200] [folder=/work/shared/data/wordnet-fasttext]</c>.
/// </summary>
internal static class MuveraBenchmark
{
    private static readonly int[] Shortlists = [10, 25, 50, 100, 200, 500, 1000];

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
        var folder = args.Length > 3 ? args[3] : "/work/shared/data/wordnet-fasttext";
        var stopwatch = Stopwatch.StartNew();
        var data = WordNetMultiVectors.Load(folder, model);
        Console.WriteLine($"loaded {data.Items.Count} items ({data.ItemTokenCount} tokens), {data.Queries.Count} queries, d = {data.Dimension}, model {model}, in {stopwatch.Elapsed.TotalSeconds:F1} s");
        if (mode is "all" or "encode")
        {
            EncodeThroughput(data);
        }

        if (mode is "all" or "recall")
        {
            Recall(data, queryCount);
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
                    $"({encoder.MultiplyAddsPerToken} multiply-adds/token, one thread)");
            }
        }
    }

    private static void Recall(WordNetMultiVectors data, int queryCount)
    {
        var random = new DeterministicRandom(777);
        var queries = Sample(data.Queries, queryCount, random);
        var watch = Stopwatch.StartNew();
        var exact = queries.Select(q => ChamferSearch.Search(q, data.Items, 10).Select(r => r.Row).ToHashSet()).ToArray();
        Console.WriteLine($"exact Chamfer top-10 (brute force, parallel): {watch.Elapsed.TotalMilliseconds / queries.Length:F1} ms/query over {data.Items.Count} items");
        Console.WriteLine();
        Console.WriteLine($"| pruning | vectors kept | preset (R,k,d_proj) | dims | {string.Join(" | ", Shortlists.Select(s => $"K'={s}"))} |");
        Console.WriteLine($"|---|---|---|---|{string.Concat(Shortlists.Select(_ => "---|"))}");
        var prunings = new (string Name, PruningOptions Options)[]
        {
            ("none", new PruningOptions()),
            ("k-means k_d=8", PruningOptions.KMeans(8)),
            ("k-means k_d=4", PruningOptions.KMeans(4)),
            ("k-means ratio 0.5", PruningOptions.KMeansToRatio(0.5)),
        };
        foreach (var (name, options) in prunings)
        {
            var documents = new TokenMatrix[data.Items.Count];
            Parallel.For(0, documents.Length, i => documents[i] = TokenPruner.Prune(data.Items[i], options));
            var kept = documents.Sum(d => (long)d.Count) / (double)data.ItemTokenCount;
            foreach (var parameters in new[] { MuveraParameters.CompactPreset(data.Dimension, seed: 1), MuveraParameters.EndToEndPreset(data.Dimension, seed: 1) })
            {
                var recalls = RecallAtShortlists(new MuveraEncoder(parameters), documents, queries, exact, out var timing);
                Console.WriteLine(
                    $"| {name} | {100 * kept:F1}% | ({parameters.Repetitions},{parameters.KSim},{parameters.DProj}) | {parameters.EncodedLength} | " +
                    $"{string.Join(" | ", recalls.Select(r => r.ToString("F3", CultureInfo.InvariantCulture)))} |  <!-- {timing} -->");
            }
        }
    }

    private static double[] RecallAtShortlists(MuveraEncoder encoder, TokenMatrix[] documents, TokenMatrix[] queries, HashSet<int>[] exact, out string timing)
    {
        var dimension = encoder.EncodedLength;
        var watch = Stopwatch.StartNew();
        var fdes = new float[checked(documents.Length * dimension)];
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

    private static TokenMatrix[] Sample(IReadOnlyList<TokenMatrix> all, int count, DeterministicRandom random)
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
