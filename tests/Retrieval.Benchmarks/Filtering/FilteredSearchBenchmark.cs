using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Storage.Sqlite;

namespace Retrieval.Benchmarks.Filtering;

/// <summary>
/// Filtered exact search through the engine with and without payload indexes, in the same process on the same
/// data: the same queries run with indexes on, then with them switched off (every payload evaluated), and the
/// hits of both are compared. Payloads hold a keyword field (100 values) and a numeric field (0–99), so the
/// filters select 1 %, 10 % and 50 % of the items.
/// Usage: <c>filtered-search [items=100000] [dimension=128] [queries=200] [k=10]</c>.
/// </summary>
internal static class FilteredSearchBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var items = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var dimension = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 128;
        var queryCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
        var k = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10;

        var directory = Path.Combine(Path.GetTempPath(), "retrieval-filter-bench-" + Guid.NewGuid().ToString("N"));
        var options = new EngineOptions();
        try
        {
            await using var engine = new RetrievalEngine(new SqliteRetrievalStore(directory), options, NullLogger<RetrievalEngine>.Instance);
            await engine.StartAsync(CancellationToken.None);
            await LoadAsync(engine, items, dimension);

            var random = new Random(7);
            var queries = Enumerable.Range(0, queryCount).Select(_ => RandomVector(random, dimension)).ToArray();
            Console.WriteLine($"filtered search: {items} items, d={dimension}, k={k}, {queryCount} queries per filter, {Environment.ProcessorCount} cores");
            Console.WriteLine("| filter | selectivity | indexed q/s | scanning q/s | speed-up | same hits |");
            Console.WriteLine("|---|---:|---:|---:|---:|---|");
            foreach (var (name, filter) in Filters())
            {
                var selected = engine.Count("bench", filter) / (double)items;
                options.PayloadIndexes.Enabled = true;
                var (indexedQps, indexedHits) = Measure(engine, queries, k, filter);
                options.PayloadIndexes.Enabled = false;
                var (scanQps, scanHits) = Measure(engine, queries, k, filter);
                var same = indexedHits.Zip(scanHits).All(p => p.First.SequenceEqual(p.Second));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {selected:P1} | {indexedQps:F0} | {scanQps:F0} | {indexedQps / scanQps:F1}× | {(same ? "yes" : "NO")} |"));
            }

            return 0;
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static IEnumerable<(string Name, PayloadFilter Filter)> Filters()
    {
        static FilterCondition Tag(params string[] tags) =>
            new("tag", ["tag"], new MatchCondition(tags.Select(ScalarValue.Of).ToList()), null);
        static FilterCondition Bucket(double below) => new("bucket", ["bucket"], null, new RangeCondition(null, null, below, null));

        yield return ("tag = t7", new PayloadFilter([Tag("t7")], [], []));
        yield return ("bucket < 1", new PayloadFilter([Bucket(1)], [], []));
        yield return ("tag in 10 values", new PayloadFilter([Tag([.. Enumerable.Range(0, 10).Select(i => $"t{i}")])], [], []));
        yield return ("bucket < 10", new PayloadFilter([Bucket(10)], [], []));
        yield return ("bucket < 50", new PayloadFilter([Bucket(50)], [], []));
        yield return ("bucket < 50 and not tag = t3", new PayloadFilter([Bucket(50)], [Tag("t3")], []));
    }

    private static (double Qps, List<string[]> Hits) Measure(RetrievalEngine engine, float[][] queries, int k, PayloadFilter filter)
    {
        // One untimed query warms the JIT and, with indexes on, builds the fields' indexes.
        engine.Search("bench", new SearchQuery(null, queries[0], k, filter));
        var hits = new List<string[]>(queries.Length);
        var stopwatch = Stopwatch.StartNew();
        foreach (var query in queries)
        {
            hits.Add([.. engine.Search("bench", new SearchQuery(null, query, k, filter)).Select(h => h.Id)]);
        }

        return (queries.Length / stopwatch.Elapsed.TotalSeconds, hits);
    }

    private static async Task LoadAsync(RetrievalEngine engine, int items, int dimension)
    {
        var space = new SpaceDefinition("v", dimension, Metric.InnerProduct, new ModelRef("bench", "1"));
        await engine.CreateCollectionAsync("bench", [space], null, CancellationToken.None);
        var random = new Random(42);
        var order = Enumerable.Range(0, items).OrderBy(_ => random.Next()).ToArray();
        foreach (var chunk in order.Chunk(1000))
        {
            var batch = chunk.Select(i => new ItemWrite(
                $"item-{i}",
                string.Create(CultureInfo.InvariantCulture, $"{{\"tag\":\"t{i % 100}\",\"bucket\":{i * 7 % 100}}}"),
                new Dictionary<string, float[]> { ["v"] = RandomVector(random, dimension) })).ToList();
            await engine.UpsertAsync("bench", batch, CancellationToken.None);
        }
    }

    private static float[] RandomVector(Random random, int dimension)
    {
        var vector = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            vector[i] = random.NextSingle() - 0.5f;
        }

        return vector;
    }
}
