using System.Globalization;

namespace Retrieval.Benchmarks.Faiss;

/// <summary>
/// HNSW32 on seeded clustered data (default 100k × 128, 1000 clusters, 1000 queries, L2): build time and
/// recall@10/QPS curves for our Faiss binding, raw Faiss through Debian's python3-faiss on the same data files
/// with the same parameters, and USearch from NuGet. A measurement, not a test: it prints a table.
/// Usage: RunAsync(["--n", "100000", "--dim", "128", "--queries", "1000", "--out", "artifacts/faiss-bench"]); --skip-faiss / --skip-usearch leave an engine out.
/// </summary>
public static class FaissHnswBenchmark
{
    private const int K = 10;
    private const string Factory = "HNSW32";
    private static readonly int[] Efs = [16, 32, 64, 128, 256];

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var count = IntOption(args, "--n", 100_000);
        var dimension = IntOption(args, "--dim", 128);
        var queryCount = IntOption(args, "--queries", 1000);
        var outDirectory = Path.GetFullPath(StringOption(args, "--out", Path.Combine("artifacts", "faiss-bench")));

        Console.WriteLine($"data: {count} x {dimension}, {queryCount} queries, 1000 clusters, seed 7; threads: {Environment.ProcessorCount} cores; Faiss {Retrieval.Faiss.FaissRuntime.FaissVersion}");
        var data = BenchmarkData.Generate(count, queryCount, dimension, clusters: 1000, K, seed: 7);
        data.WriteTo(outDirectory);

        if (!args.Contains("--skip-faiss"))
        {
            var binding = FaissBindingHnsw.Run(data, Factory, K, Efs);
            Console.WriteLine($"faiss-binding  build {binding.BuildSeconds:F1} s");
            Print(binding.Points);

            var python = await PythonFaissPeer.RunAsync(outDirectory, dimension, Factory, K, Efs, cancellationToken);
            Console.WriteLine($"faiss-python   build {python.BuildSeconds:F1} s");
            Print(python.Points);
        }

        if (!args.Contains("--skip-usearch"))
        {
            var usearch = USearchHnsw.Run(data, K, Efs);
            Console.WriteLine($"usearch-nuget  build {usearch.BuildSeconds:F1} s (Parallel.For over {Environment.ProcessorCount} cores)");
            Print(usearch.Points);
        }

        return 0;
    }

    private static void Print(IEnumerable<HnswMeasurement> points)
    {
        foreach (var point in points)
        {
            Console.WriteLine(point);
        }
    }

    private static int IntOption(string[] args, string name, int fallback) =>
        int.Parse(StringOption(args, name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    private static string StringOption(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
