using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Search;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Engine.Indexes;
using Retrieval.Storage.Sqlite;

namespace Retrieval.Benchmarks.MultiVector;

/// <summary>
/// Issue 17's multi-vector space options measured through the engine, on one data set and one set of queries: one
/// collection, one multi space per configuration (FDE float32, FDE PQ, first stage TOKENS; tokens stored in float32,
/// float16 and int8), every item written once into every space. Per space: recall@10 against exact Chamfer on the
/// float32 tokens as sent, the candidates reranked, QPS one query at a time, and the bytes per item GetCollection
/// reports. The TOKENS row's candidate count comes from the suite's own IVF over the same tokens with the same
/// settings (the engine does not report it).
/// </summary>
internal static class SpaceOptionsBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var model = Option(args, "--model", "minilm:10000");
        var folder = Option(args, "--cache", "-");
        var queryCount = Int(args, "--queries", 300);
        var preset = Option(args, "--preset", "end-to-end");
        var shortlists = Option(args, "--candidates", "100,400").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var pq = new FdePqOptions { DimsPerCode = Int(args, "--pq-dims", 4), TrainItems = Int(args, "--pq-train", 2000) };
        var tokens = new TokenFirstStageOptions
        {
            Lists = Int(args, "--token-lists", 64),
            Probes = Int(args, "--token-probes", 4),
            Neighbours = Int(args, "--token-neighbours", 16),
            TrainItems = Int(args, "--token-train", 2000),
        };
        var data = WordNetMultiVectors.LoadNamed(model, folder == "-" ? null : folder);
        var documents = data.Items.ToArray();
        var queries = MuveraBenchmark.Sample(data.Queries, queryCount, new DeterministicRandom(777));
        var d = data.Dimension;
        var muvera = preset == "end-to-end" ? MuveraParameters.EndToEndPreset(d, seed: 1) : MuveraParameters.CompactPreset(d, seed: 1);
        Console.WriteLine($"{documents.Length} items ({data.ItemTokenCount} tokens), {queries.Length} queries, d = {d}, FDE {muvera.EncodedLength} dims ({preset}); " +
            $"PQ {muvera.EncodedLength / pq.DimsPerCode}x8 trained on {pq.TrainItems} items; tokens IVF{tokens.Lists} probes {tokens.Probes} neighbours {tokens.Neighbours} trained on {tokens.TrainItems} items; " +
            $"{Environment.ProcessorCount} cores; load {LoadAverage()}");

        var watch = Stopwatch.StartNew();
        var truth = new HashSet<int>[queries.Length];
        Parallel.For(0, queries.Length, q => truth[q] = ChamferSearch.Search(queries[q], documents, 10, int.MaxValue).Select(r => r.Row).ToHashSet());
        Console.Error.WriteLine($"exact Chamfer ground truth: {watch.Elapsed.TotalSeconds:F0} s");

        MultiVectorSettings Settings(TokenPrecision precision) => new() { Muvera = muvera, TokenPrecision = precision };
        (string Name, MultiVectorSettings Settings)[] spaces =
        [
            ("fde_f32", Settings(TokenPrecision.Full)),
            ("fde_f32_tokens_f16", Settings(TokenPrecision.Float16)),
            ("fde_f32_tokens_i8", Settings(TokenPrecision.ScaledInt8)),
            ("fde_pq", Settings(TokenPrecision.Full) with { FdePq = pq }),
            ("tokens", Settings(TokenPrecision.Full) with { FirstStage = MultiVectorFirstStage.Tokens, TokenFirstStage = tokens }),
        ];

        var directory = Path.Combine(Path.GetTempPath(), "retrieval-bench-space-options", Guid.NewGuid().ToString("N"));
        try
        {
            await using var engine = new RetrievalEngine(new SqliteRetrievalStore(directory), new EngineOptions(), NullLogger<RetrievalEngine>.Instance,
                new IndexingOptions { BackgroundOptimizer = false });
            await engine.StartAsync(CancellationToken.None);
            await engine.CreateCollectionAsync("c",
                [.. spaces.Select(s => new SpaceDefinition(s.Name, d, Metric.InnerProduct, new ModelRef("minilm", "1"), Kind: SpaceKind.Multi, MultiVector: s.Settings))],
                null, CancellationToken.None);
            watch.Restart();
            for (var start = 0; start < documents.Length; start += 500)
            {
                var batch = Enumerable.Range(start, Math.Min(500, documents.Length - start)).Select(i =>
                {
                    var rows = Rows(documents[i]);
                    return new ItemWrite($"{i}", null, new Dictionary<string, float[]>())
                    {
                        MultiVectors = spaces.ToDictionary(s => s.Name, IReadOnlyList<float[]> (_) => rows),
                    };
                }).ToList();
                await engine.UpsertAsync("c", batch, CancellationToken.None);
            }

            Console.Error.WriteLine($"ingest into {spaces.Length} spaces (PQ and token index training included): {watch.Elapsed.TotalSeconds:F0} s");
            var stats = engine.GetCollection("c").MultiVectorStats.ToDictionary(s => s.Space);
            var tokenCandidates = TokenCandidates(documents, queries, tokens);

            Console.WriteLine();
            Console.WriteLine("| space | first stage | tokens kept as | candidates (mean) | recall@10 | QPS | FDE bytes/item | token index bytes/item | token bytes/item |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var (name, settings) in spaces)
            {
                var isTokens = settings.FirstStage == MultiVectorFirstStage.Tokens;
                foreach (var shortlist in isTokens ? [0] : shortlists)
                {
                    var rows = queries.Select(Rows).ToArray();
                    var hits = new IReadOnlyList<SearchHit>[queries.Length];
                    watch.Restart();
                    for (var q = 0; q < queries.Length; q++)
                    {
                        hits[q] = engine.Search("c", new SearchQuery(name, [], 10) { Rows = rows[q], Candidates = Math.Max(shortlist, 10) });
                    }

                    var seconds = watch.Elapsed.TotalSeconds;
                    var found = Enumerable.Range(0, queries.Length).Sum(q => hits[q].Count(h => truth[q].Contains(int.Parse(h.Id, CultureInfo.InvariantCulture))));
                    var s = stats[name];
                    var stage = isTokens ? $"TOKENS IVF{tokens.Lists}, probes {tokens.Probes}, {tokens.Neighbours} per query token" : settings.FdePq is null ? "FDE float32 scan" : $"FDE PQ {muvera.EncodedLength / pq.DimsPerCode}x8 (flat, ADC)";
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {name} | {stage} | {PrecisionName(settings.TokenPrecision)} | {(isTokens ? tokenCandidates : shortlist):F0} | {found / (10.0 * queries.Length):F3} | {queries.Length / seconds:F1} | {s.FdeBytesPerItem:N0} | {s.TokenIndexBytesPerItem:N0} | {s.TokenBytesPerItem:N0} |"));
                }
            }
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        return 0;
    }

    /// <summary>
    /// Mean size of the union of the items of each query token's nearest tokens, from the suite's own IVF over every
    /// item token with the space's lists, probes and neighbours (a separately trained index: counts, not the engine's).
    /// </summary>
    private static double TokenCandidates(TokenMatrix[] documents, TokenMatrix[] queries, TokenFirstStageOptions options)
    {
        var d = documents[0].Dimension;
        var total = documents.Sum(x => x.Count);
        var rows = new FlatVectorStorage(d, total);
        var owner = new int[total];
        var next = 0;
        for (var i = 0; i < documents.Length; i++)
        {
            for (var t = 0; t < documents[i].Count; t++)
            {
                rows.Add(documents[i].Row(t));
                owner[next++] = i;
            }
        }

        var spec = IndexSpec.Parse($"IVF{options.ListsFor(total)},Flat", d, FieldPath.Of("token-lists"));
        using var index = IndexBuilder.Build(spec, Metric.InnerProduct, rows, new IndexingOptions { RefineFactor = 1 }, null, CancellationToken.None);
        var ids = new long[options.Neighbours];
        var scores = new float[options.Neighbours];
        var sum = 0L;
        foreach (var query in queries)
        {
            var items = new HashSet<int>();
            for (var t = 0; t < query.Count; t++)
            {
                var found = index.Search(query.Row(t), options.Neighbours, new IndexSearchParameters(0, options.Probes), null, ids, scores);
                for (var i = 0; i < found; i++)
                {
                    items.Add(owner[ids[i]]);
                }
            }

            sum += items.Count;
        }

        return (double)sum / queries.Length;
    }

    private static string PrecisionName(TokenPrecision precision) => precision switch
    {
        TokenPrecision.Float16 => "float16",
        TokenPrecision.ScaledInt8 => "int8",
        _ => "float32",
    };

    private static float[][] Rows(TokenMatrix tokens) => [.. Enumerable.Range(0, tokens.Count).Select(t => tokens.Row(t).ToArray())];

    private static int Int(string[] args, string name, int fallback) => int.Parse(Option(args, name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
