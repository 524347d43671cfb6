using System.Diagnostics;
using System.Globalization;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Search;
using Retrieval.Engine.Indexes;

namespace Retrieval.Benchmarks.MultiVector;

/// <summary>
/// MUVERA with the document FDEs in an approximate index, as a multi-vector space with an <c>index</c> spec serves
/// them: query FDE → the index's top-K' (quantized indexes fetch K'·refine and re-score the FDEs exactly, as the
/// engine's segments do) → exact Chamfer rerank → top-10. Against the exact FDE scan and brute-force Chamfer on the
/// same queries in the same run: recall@10 vs the exact Chamfer top-10 and per-query latency.
/// Usage: <c>muvera-index [specs=HNSW32;IVF256,PQ64x8] [preset=compact|end-to-end] [queries=200] [model=M_old|minilm] [folder]</c>.
/// </summary>
internal static class FdeIndexBenchmark
{
    private static readonly int[] Shortlists = [100, 1000];

    public static int Run(string[] args)
    {
        var specs = (args.Length > 0 ? args[0] : "HNSW32;IVF256,PQ64x8").Split(';', StringSplitOptions.RemoveEmptyEntries);
        var presetName = args.Length > 1 ? args[1] : "compact";
        var queryCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
        var model = args.Length > 3 ? args[3] : "M_old";
        var folder = args.Length > 4 && args[4] != "-" ? args[4] : null;
        var data = WordNetMultiVectors.LoadNamed(model, folder);
        var documents = data.Items.ToArray();
        // The same seeded sample as the muvera suite (seed 777), so the figures line up.
        var queries = MuveraBenchmark.Sample(data.Queries, queryCount, new DeterministicRandom(777));
        var parameters = presetName == "end-to-end"
            ? MuveraParameters.EndToEndPreset(data.Dimension, seed: 1)
            : MuveraParameters.CompactPreset(data.Dimension, seed: 1);
        var encoder = new MuveraEncoder(parameters);
        Console.WriteLine($"{documents.Length} items, {queries.Length} queries, d = {data.Dimension}; preset (R,k_sim,d_proj) = ({parameters.Repetitions},{parameters.KSim},{parameters.DProj}), {encoder.EncodedLength} dims; {Environment.ProcessorCount} cores; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

        var exactTimes = new List<double>();
        var exact = new HashSet<int>[queries.Length];
        for (var q = 0; q < queries.Length; q++)
        {
            var watch = Stopwatch.StartNew();
            exact[q] = ChamferSearch.Search(queries[q], documents, 10).Select(r => r.Row).ToHashSet();
            exactTimes.Add(watch.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"brute-force Chamfer: {Median(exactTimes):F1} ms/query (median, all cores)");
        var build = Stopwatch.StartNew();
        var fdes = new FlatVectorStorage(encoder.EncodedLength, documents.Length);
        var zero = new float[encoder.EncodedLength];
        for (var i = 0; i < documents.Length; i++)
        {
            fdes.Add(zero);
        }

        Parallel.For(0, documents.Length, i => encoder.EncodeDocument(documents[i], fdes.RawData.AsSpan(i * encoder.EncodedLength, encoder.EncodedLength)));
        Console.WriteLine($"document FDEs: {build.Elapsed.TotalSeconds:F1} s (all cores)");
        Console.WriteLine();
        Console.WriteLine("| FDE index | params | K' | recall@10 | ms/query median | p99 ms | vs brute-force Chamfer | build s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var shortlist in Shortlists)
        {
            Report("exact scan", "—", shortlist, queries, exact, exactTimes, 0, q => FdeSearch.Candidates(encoder, fdes, q, shortlist), documents);
        }

        var indexing = new IndexingOptions();
        foreach (var text in specs)
        {
            var spec = IndexSpec.Parse(text, encoder.EncodedLength, FieldPath.Of("spec"));
            build.Restart();
            using var index = IndexBuilder.Build(spec, Metric.InnerProduct, fdes, indexing, null, CancellationToken.None);
            var buildSeconds = build.Elapsed.TotalSeconds;
            var settings = spec.IsIvf ? new[] { 8, 32, 128 }.Select(n => (Label: $"nprobe {n}", Parameters: new IndexSearchParameters(0, n)))
                : new[] { 128, 512 }.Select(ef => (Label: $"ef {ef}", Parameters: new IndexSearchParameters(ef, 0)));
            foreach (var (label, searchParameters) in settings)
            {
                foreach (var shortlist in Shortlists)
                {
                    Report(index.Spec.ToString(), label, shortlist, queries, exact, exactTimes, buildSeconds,
                        q => IndexCandidates(index, encoder, fdes, q, shortlist, searchParameters, indexing.RefineFactor), documents);
                }
            }
        }

        return 0;
    }

    /// <summary>The index's K' best rows by FDE inner product; quantized indexes fetch K'·refine and re-score exactly, like a segment.</summary>
    private static ScoredRow[] IndexCandidates(IVectorIndex index, MuveraEncoder encoder, FlatVectorStorage fdes, TokenMatrix query, int shortlist, IndexSearchParameters parameters, int refine)
    {
        var encoding = encoder.EncodeQuery(query);
        var fetch = Math.Min(fdes.Count, index.Spec.IsQuantized ? shortlist * refine : shortlist);
        var ids = new long[fetch];
        var scores = new float[fetch];
        var found = index.Search(encoding, fetch, parameters, null, ids, scores);
        var rows = new ScoredRow[found];
        for (var i = 0; i < found; i++)
        {
            var row = (int)ids[i];
            rows[i] = new ScoredRow(row, System.Numerics.Tensors.TensorPrimitives.Dot(encoding, fdes.Row(row)));
        }

        Array.Sort(rows, static (a, b) => b.Score.CompareTo(a.Score));
        return rows.Length <= shortlist ? rows : rows[..shortlist];
    }

    private static void Report(string index, string parameters, int shortlist, TokenMatrix[] queries, HashSet<int>[] exact, List<double> exactTimes, double buildSeconds, Func<TokenMatrix, ScoredRow[]> candidates, TokenMatrix[] documents)
    {
        var times = new List<double>(queries.Length);
        var hits = 0;
        for (var q = 0; q < queries.Length; q++)
        {
            var watch = Stopwatch.StartNew();
            var top = ChamferSearch.Rerank(queries[q], documents, candidates(queries[q]), 10);
            times.Add(watch.Elapsed.TotalMilliseconds);
            hits += top.Count(r => exact[q].Contains(r.Row));
        }

        var median = Median(times);
        var p99 = times.Order().ElementAt((int)Math.Min(times.Count - 1, Math.Ceiling(0.99 * times.Count) - 1));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {index} | {parameters} | {shortlist} | {hits / (10.0 * queries.Length):F3} | {median:F2} | {p99:F2} | {Median(exactTimes) / median:F1}× faster | {(buildSeconds > 0 ? buildSeconds.ToString("F0", CultureInfo.InvariantCulture) : "—")} |"));
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
