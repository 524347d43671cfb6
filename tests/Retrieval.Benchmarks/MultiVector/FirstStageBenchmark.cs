using System.Diagnostics;
using System.Globalization;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Search;
using Retrieval.Engine.Indexes;

namespace Retrieval.Benchmarks.MultiVector;

/// <summary>
/// MUVERA's FDE first stage against the token-level first stage of PLAID/ColBERTv2-style engines, on the same data,
/// queries and exact Chamfer rerank, in one run: for FDEs, the top-K' by FDE inner product from the float32 FDEs
/// (exact scan) and from each given index over the FDEs (e.g. <c>IVF1,PQ1280x8</c>: flat PQ with asymmetric distance,
/// K' taken straight from the codes, no float FDE kept); for tokens, one approximate index (the engine's own index
/// layer, e.g. <c>HNSW16</c>) over every item token, each query token's k nearest tokens, and the union of their items
/// as the candidates. Every row reports the mean number of candidates reranked, recall@10 against the exact Chamfer
/// top-10 on the unpruned tokens, the per-query time of first stage + rerank (one query at a time) and the bytes per
/// item the first stage keeps.
/// </summary>
internal static class FirstStageBenchmark
{
    public static int Run(string[] args)
    {
        var model = Option(args, "--model", "minilm");
        var folder = Option(args, "--cache", "-");
        var queryCount = int.Parse(Option(args, "--queries", "1000"), CultureInfo.InvariantCulture);
        var preset = Option(args, "--preset", "compact");
        var fdeSpecs = Option(args, "--fde-specs", "").Split(';', StringSplitOptions.RemoveEmptyEntries);
        var tokenSpec = Option(args, "--token-spec", "IVF1024,Flat");
        var shortlists = Ints(Option(args, "--shortlists", "25,50,100,200,400"));
        var tokenKs = Ints(Option(args, "--token-k", "1,2,4,8,16,32"));
        var ef = int.Parse(Option(args, "--ef", "64"), CultureInfo.InvariantCulture);
        var nprobe = int.Parse(Option(args, "--nprobe", "16"), CultureInfo.InvariantCulture);
        var prunings = Option(args, "--prunings", "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var pruningQueries = int.Parse(Option(args, "--pruning-queries", "300"), CultureInfo.InvariantCulture);
        var data = WordNetMultiVectors.LoadNamed(model, folder == "-" ? null : folder);
        var documents = data.Items.ToArray();
        var queries = MuveraBenchmark.Sample(data.Queries, queryCount, new DeterministicRandom(777));
        var parameters = preset == "end-to-end"
            ? MuveraParameters.EndToEndPreset(data.Dimension, seed: 1)
            : MuveraParameters.CompactPreset(data.Dimension, seed: 1);
        // MiniLM's token outputs share a large common component: SimHash centred on the mean item token (the space
        // setting learnCenterTokens) spreads them over the buckets. --center none leaves the hyperplanes at the origin.
        var centered = Option(args, "--center", "all") != "none";
        if (centered)
        {
            parameters = parameters with { Center = TokenCenter.MeanOf(data.Items, data.Dimension, int.MaxValue) };
        }

        var encoder = new MuveraEncoder(parameters);
        var tokenTotal = data.ItemTokenCount;
        Console.WriteLine($"{documents.Length} items ({tokenTotal} tokens, {tokenTotal / (double)documents.Length:F1}/item), {queries.Length} queries ({queries.Average(q => q.Count):F1} tokens), d = {data.Dimension}; " +
            $"FDE (R,k_sim,d_proj) = ({parameters.Repetitions},{parameters.KSim},{parameters.DProj}), {encoder.EncodedLength} dims, {(centered ? "centred on the mean item token" : "not centred")}; {Environment.ProcessorCount} cores; load {LoadAverage()}");

        var watch = Stopwatch.StartNew();
        var exact = new HashSet<int>[queries.Length];
        Parallel.For(0, queries.Length, q => exact[q] = ChamferSearch.Search(queries[q], documents, 10, int.MaxValue).Select(r => r.Row).ToHashSet());
        Console.WriteLine($"exact Chamfer ground truth: {watch.Elapsed.TotalSeconds:F0} s");

        Console.WriteLine();
        Console.WriteLine("| first stage | index | setting | candidates (mean) | recall@10 | first stage ms/query | rerank ms/query | QPS | first-stage bytes/item |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");

        watch.Restart();
        var fdes = new FlatVectorStorage(encoder.EncodedLength, documents.Length);
        var zero = new float[encoder.EncodedLength];
        for (var i = 0; i < documents.Length; i++)
        {
            fdes.Add(zero);
        }

        Parallel.For(0, documents.Length, i => encoder.EncodeDocument(documents[i], fdes.RawData.AsSpan(i * encoder.EncodedLength, encoder.EncodedLength)));
        Console.Error.WriteLine($"document FDEs: {watch.Elapsed.TotalSeconds:F1} s");
        var longest = shortlists.Max();
        var (scan, scanMs) = Timed(queries, q => FdeSearch.Candidates(encoder, fdes, q, longest).Select(r => r.Row).ToArray());
        foreach (var shortlist in shortlists)
        {
            Report("FDE", "float32 scan", $"K'={shortlist}", 4L * encoder.EncodedLength, queries, exact, documents, scanMs, scan.Select(c => c.Take(shortlist).ToArray()).ToArray());
        }

        var indexing = new IndexingOptions { RefineFactor = 1 };
        foreach (var text in fdeSpecs)
        {
            var spec = IndexSpec.Parse(text, encoder.EncodedLength, FieldPath.Of("fde-specs"));
            watch.Restart();
            using var index = IndexBuilder.Build(spec, Metric.InnerProduct, fdes, indexing, null, CancellationToken.None);
            Console.Error.WriteLine($"FDE index {index.Spec}: built in {watch.Elapsed.TotalSeconds:F0} s");
            var search = new IndexSearchParameters(Math.Max(ef, longest), Math.Max(1, index.Spec.NList));
            var (top, ms) = Timed(queries, q => IndexTop(index, encoder.EncodeQuery(q), longest, search));
            foreach (var shortlist in shortlists)
            {
                Report("FDE", index.Spec.ToString(), $"K'={shortlist}", BytesPerVector(index.Spec, encoder.EncodedLength), queries, exact, documents, ms, top.Select(c => c.Take(shortlist).ToArray()).ToArray());
            }
        }

        TokenFirstStage(data, documents, queries, exact, tokenSpec, tokenKs, ef, nprobe, indexing);
        Pruning(data, documents, queries.Take(pruningQueries).ToArray(), exact, prunings, encoder, shortlists);
        return 0;
    }

    /// <summary>
    /// The token-level first stage: every item token in one index, each mapped back to its item; each query token's
    /// k nearest tokens (one search at the largest k, smaller k read as prefixes of its sorted results).
    /// </summary>
    private static void TokenFirstStage(WordNetMultiVectors data, TokenMatrix[] documents, TokenMatrix[] queries, HashSet<int>[] exact, string tokenSpec, int[] tokenKs, int ef, int nprobe, IndexingOptions indexing)
    {
        var tokenTotal = data.ItemTokenCount;
        var tokenRows = new FlatVectorStorage(data.Dimension, (int)tokenTotal);
        var owner = new int[tokenTotal];
        var next = 0;
        for (var i = 0; i < documents.Length; i++)
        {
            for (var t = 0; t < documents[i].Count; t++)
            {
                tokenRows.Add(documents[i].Row(t));
                owner[next++] = i;
            }
        }

        var watch = Stopwatch.StartNew();
        var tokenIndexSpec = IndexSpec.Parse(tokenSpec, data.Dimension, FieldPath.Of("token-spec"));
        using var tokens = IndexBuilder.Build(tokenIndexSpec, Metric.InnerProduct, tokenRows, indexing, null, CancellationToken.None);
        Console.Error.WriteLine($"token index {tokens.Spec}: built in {watch.Elapsed.TotalSeconds:F0} s over {tokenTotal} tokens");
        // Index bytes of every token plus the 4-byte token → item map, per item.
        var perItem = (BytesPerVector(tokens.Spec, data.Dimension) + 4) * tokenTotal / documents.Length;
        var largest = tokenKs.Max();
        var search = new IndexSearchParameters(Math.Max(ef, largest), nprobe);
        var (neighbours, ms) = Timed(queries, q => TokenNeighbours(tokens, q, largest, search));
        foreach (var k in tokenKs)
        {
            var candidates = neighbours.Select(perToken => perToken.SelectMany(ids => ids.Take(k)).Select(id => owner[id]).Distinct().ToArray()).ToArray();
            Report("tokens", tokens.Spec.ToString(), $"k={k} per query token" + (tokens.Spec.IsIvf ? $", nprobe {nprobe}" : $", ef {search.EfSearch}"), perItem, queries, exact, documents, ms, candidates);
        }
    }

    /// <summary>
    /// Each pruning's own loss (exact Chamfer over every pruned item against the unpruned top-10) and the FDE first
    /// stage on the pruned items, on the first queries of the sample.
    /// </summary>
    private static void Pruning(WordNetMultiVectors data, TokenMatrix[] documents, TokenMatrix[] queries, HashSet<int>[] exact, string[] prunings, MuveraEncoder encoder, int[] shortlists)
    {
        if (prunings.Length == 0)
        {
            return;
        }

        var corpusMean = TokenCenter.MeanOf(documents, data.Dimension, int.MaxValue);
        Console.WriteLine();
        Console.WriteLine($"| pruning ({queries.Length} queries) | vectors kept | exact Chamfer on kept (K' = all) | {string.Join(" | ", shortlists.Select(s => $"FDE K'={s}"))} |");
        Console.WriteLine($"|---|---|---|{string.Concat(shortlists.Select(_ => "---|"))}");
        foreach (var name in prunings)
        {
            var options = MuveraBenchmark.ParsePruning(name, out var drop);
            var pruned = new TokenMatrix[documents.Length];
            Parallel.For(0, pruned.Length, i => pruned[i] = TokenPruner.Prune(drop is { } keep ? LowInformationTokens.Drop(documents[i], corpusMean.AsSpan(), keep) : documents[i], options));
            var kept = pruned.Sum(d => (long)d.Count) / (double)data.ItemTokenCount;
            var hits = new int[queries.Length];
            Parallel.For(0, queries.Length, q => hits[q] = ChamferSearch.Search(queries[q], pruned, 10, int.MaxValue).Count(r => exact[q].Contains(r.Row)));
            var fdes = new FlatVectorStorage(encoder.EncodedLength, pruned.Length);
            var zero = new float[encoder.EncodedLength];
            for (var i = 0; i < pruned.Length; i++)
            {
                fdes.Add(zero);
            }

            Parallel.For(0, pruned.Length, i => encoder.EncodeDocument(pruned[i], fdes.RawData.AsSpan(i * encoder.EncodedLength, encoder.EncodedLength)));
            var candidates = queries.Select(q => FdeSearch.Candidates(encoder, fdes, q, shortlists.Max())).ToArray();
            var recalls = shortlists.Select(s => Enumerable.Range(0, queries.Length)
                .Sum(q => ChamferSearch.Rerank(queries[q], pruned, candidates[q].AsSpan(0, Math.Min(s, candidates[q].Length)), 10).Count(r => exact[q].Contains(r.Row))) / (10.0 * queries.Length));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {100 * kept:F1}% ({1 / kept:F2}× fewer) | {hits.Sum() / (10.0 * queries.Length):F3} | {string.Join(" | ", recalls.Select(r => r.ToString("F3", CultureInfo.InvariantCulture)))} |"));
        }
    }

    private static long[][] TokenNeighbours(IVectorIndex index, TokenMatrix query, int k, IndexSearchParameters search)
    {
        var result = new long[query.Count][];
        var ids = new long[k];
        var scores = new float[k];
        for (var t = 0; t < query.Count; t++)
        {
            var found = index.Search(query.Row(t), k, search, null, ids, scores);
            result[t] = ids[..found];
        }

        return result;
    }

    private static (T[] Results, double MsPerQuery) Timed<T>(TokenMatrix[] queries, Func<TokenMatrix, T> stage)
    {
        var results = new T[queries.Length];
        var watch = Stopwatch.StartNew();
        for (var q = 0; q < queries.Length; q++)
        {
            results[q] = stage(queries[q]);
        }

        return (results, watch.Elapsed.TotalMilliseconds / queries.Length);
    }

    private static int[] IndexTop(IVectorIndex index, float[] query, int k, IndexSearchParameters search)
    {
        var ids = new long[k];
        var scores = new float[k];
        var found = index.Search(query, k, search, null, ids, scores);
        return ids[..found].Select(id => (int)id).ToArray();
    }

    /// <summary>One row: the first stage's measured time per query plus the timed Chamfer rerank of these candidates.</summary>
    private static void Report(string stage, string index, string setting, long bytesPerItem, TokenMatrix[] queries, HashSet<int>[] exact, TokenMatrix[] documents, double firstStageMs, int[][] candidates)
    {
        var hits = 0;
        var watch = Stopwatch.StartNew();
        for (var q = 0; q < queries.Length; q++)
        {
            var shortlist = candidates[q].Select(row => new ScoredRow(row, 0)).ToArray();
            hits += ChamferSearch.Rerank(queries[q], documents, shortlist, 10).Count(r => exact[q].Contains(r.Row));
        }

        var rerankMs = watch.Elapsed.TotalMilliseconds / queries.Length;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {stage} | {index} | {setting} | {candidates.Average(c => c.Length):F0} | {hits / (10.0 * queries.Length):F3} | {firstStageMs:F2} | {rerankMs:F2} | {1000 / (firstStageMs + rerankMs):F0} | {bytesPerItem:N0} |"));
    }

    /// <summary>
    /// Bytes one vector takes in the index, from its layout: float32 or half/8-bit components, HNSW's level-0 links
    /// (2M int32; upper levels add ~1/M more), IVF's 8-byte id per entry, PQ's m·bits/8 code bytes.
    /// </summary>
    private static long BytesPerVector(IndexSpec spec, int dimension) => spec.Kind switch
    {
        IndexKind.Hnsw => 4L * dimension + 8L * spec.M,
        IndexKind.HnswSq8 => 2L * dimension + 8L * spec.M,
        IndexKind.IvfFlat => 4L * dimension + 8,
        IndexKind.IvfPq => (long)spec.PqM * spec.PqBits / 8 + 8,
        IndexKind.IvfSq8 => dimension + 8L,
        _ => 4L * dimension,
    };

    private static int[] Ints(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
