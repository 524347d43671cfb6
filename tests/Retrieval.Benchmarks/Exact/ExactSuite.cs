using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Retrieval.Core.Search;

namespace Retrieval.Benchmarks.Exact;

/// <summary>
/// End-to-end exact search throughput against the memory-bandwidth roof and Faiss IndexFlatIP, on the same seeded
/// data, k and thread count. A Stopwatch harness (warm-up, repeated trials, median and best) is enough here: the
/// quantities are whole searches of milliseconds to seconds, not nanosecond kernels.
/// </summary>
internal static class ExactSuite
{
    public static int Run(ExactBenchOptions options)
    {
        Directory.CreateDirectory(options.DataDirectory);
        PrintEnvironment(options);
        var probe = new BandwidthProbe(options.Threads);
        Console.WriteLine(Inv($"memory bandwidth (sum over 1 GiB, {options.Threads} threads): {probe.MeasureGigabytesPerSecond(2):F1} GB/s"));

        var table = new List<string>
        {
            "| N | d | mode | Retrieval QPS median (best) | Faiss QPS median (best) | vs Faiss median (best) | bandwidth GB/s median (range) | roof QPS (median bandwidth) | vs roof, per-trial median (best) | top-k = Faiss |",
            "|---|---|---|---|---|---|---|---|---|---|",
        };
        foreach (var n in options.Rows)
        {
            foreach (var dim in options.Dimensions)
            {
                table.AddRange(RunOne(options, probe, n, dim));
                GC.Collect();
            }
        }

        Console.WriteLine();
        table.ForEach(Console.WriteLine);
        return 0;
    }

    private static IEnumerable<string> RunOne(ExactBenchOptions options, BandwidthProbe probe, int n, int dim)
    {
        Console.WriteLine(Inv($"--- N = {n}, d = {dim}"));
        var seed = options.Seed + ((ulong)n * 31) + (ulong)dim;
        var storage = BenchData.Generate(n, dim, seed);
        var queries = BenchData.GenerateQueries(options.BatchSize, dim, seed);
        var dataPath = Path.Combine(options.DataDirectory, Inv($"exact-n{n}-d{dim}-s{seed}.npy"));
        var queriesPath = Path.Combine(options.DataDirectory, Inv($"exact-q{options.BatchSize}-d{dim}-s{seed}.npy"));
        BenchData.WriteNpy(dataPath, storage.RawData, n, dim);
        BenchData.WriteNpy(queriesPath, queries, options.BatchSize, dim);

        var searchOptions = new ExactSearchOptions { MaxDegreeOfParallelism = options.Threads };
        var (single, bandwidth) = MeasureSingle(storage, queries, options, searchOptions, probe);
        var bytes = (double)n * dim * 4;
        var roofFraction = single.Zip(bandwidth, (qps, gbs) => qps * bytes / (gbs * 1e9)).ToArray();
        Console.WriteLine(Inv($"bandwidth probed before each trial, GB/s: {Format(bandwidth)}"));
        var (batch, results) = MeasureBatch(storage, queries, options, searchOptions);
        Console.WriteLine(Inv($"Retrieval single QPS: {Format(single)}"));
        Console.WriteLine(Inv($"Retrieval batch QPS:  {Format(batch)}"));

        // Batch and single must agree exactly (same kernels, same per-pair arithmetic).
        for (var q = 0; q < Math.Min(20, options.BatchSize); q++)
        {
            var one = ExactSearch.Search(storage, queries.AsSpan(q * dim, dim), options.K, ScoreKind.InnerProduct, null, searchOptions);
            if (!one.SequenceEqual(results[q]))
            {
                throw new InvalidOperationException($"batch result of query {q} differs from the single-query result");
            }
        }

        var faiss = options.RunPeer ? FaissPeer.Run(dataPath, queriesPath, options) : null;
        var agreement = "n/a";
        if (faiss is not null)
        {
            Console.WriteLine(Inv($"Faiss {faiss.Version} single QPS: {Format(faiss.SingleQps)}"));
            Console.WriteLine(Inv($"Faiss batch QPS:  {Format(faiss.BatchQps)}  (OPENBLAS_CORETYPE={faiss.OpenBlasCoreType ?? "unset"})"));
            var identical = 0;
            var overlap = 0.0;
            for (var q = 0; q < results.Length; q++)
            {
                var ours = results[q].Select(h => (long)h.Row).ToArray();
                identical += ours.SequenceEqual(faiss.Ids[q]) ? 1 : 0;
                overlap += ours.Intersect(faiss.Ids[q]).Count() / (double)options.K;
            }

            agreement = Inv($"{identical}/{results.Length} identical, overlap {overlap / results.Length:F4}");
            Console.WriteLine($"top-{options.K} agreement with Faiss: {agreement}");
        }

        yield return Row(n, dim, "single", single, faiss?.SingleQps, bandwidth, roofFraction, agreement);
        yield return Row(n, dim, Inv($"batch {options.BatchSize}"), batch, faiss?.BatchQps, null, null, agreement);
    }

    /// <summary>Single-query QPS per trial, each trial preceded by a bandwidth probe of the same length.</summary>
    private static (double[] Qps, double[] Bandwidth) MeasureSingle(
        FlatVectorStorage storage, float[] queries, ExactBenchOptions options, ExactSearchOptions searchOptions, BandwidthProbe probe)
    {
        var dim = storage.Dimension;
        var count = queries.Length / dim;
        for (var q = 0; q < 2; q++)
        {
            ExactSearch.Search(storage, queries.AsSpan(q * dim, dim), options.K, ScoreKind.InnerProduct, null, searchOptions);
        }

        var qps = new double[options.Trials];
        var bandwidth = new double[options.Trials];
        var next = 0;
        for (var t = 0; t < options.Trials; t++)
        {
            bandwidth[t] = probe.MeasureGigabytesPerSecond(options.MinTrialSeconds);
            var done = 0;
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed.TotalSeconds < options.MinTrialSeconds || done < 3)
            {
                ExactSearch.Search(storage, queries.AsSpan(next % count * dim, dim), options.K, ScoreKind.InnerProduct, null, searchOptions);
                next++;
                done++;
            }

            qps[t] = done / watch.Elapsed.TotalSeconds;
        }

        return (qps, bandwidth);
    }

    private static (double[] Qps, ScoredRow[][] Results) MeasureBatch(FlatVectorStorage storage, float[] queries, ExactBenchOptions options, ExactSearchOptions searchOptions)
    {
        var count = queries.Length / storage.Dimension;
        ExactSearch.SearchBatch(storage, queries, Math.Min(count, 32), options.K, ScoreKind.InnerProduct, null, searchOptions);
        var qps = new double[options.BatchTrials];
        ScoredRow[][] results = [];
        for (var t = 0; t < options.BatchTrials; t++)
        {
            var watch = Stopwatch.StartNew();
            results = ExactSearch.SearchBatch(storage, queries, count, options.K, ScoreKind.InnerProduct, null, searchOptions);
            qps[t] = count / watch.Elapsed.TotalSeconds;
        }

        return (qps, results);
    }

    // roofFraction: per trial, achieved QPS over the roof QPS from the probe just before that trial.
    private static string Row(int n, int dim, string mode, double[] ours, double[]? faiss, double[]? bandwidth, double[]? roofFraction, string agreement)
    {
        var vsFaiss = faiss is null ? "n/a" : Inv($"{Median(ours) / Median(faiss):F2}× ({ours.Max() / faiss.Max():F2}×)");
        var faissText = faiss is null ? "n/a" : Inv($"{Median(faiss):F1} ({faiss.Max():F1})");
        var bandwidthText = bandwidth is null ? "—" : Inv($"{Median(bandwidth):F1} ({bandwidth.Min():F1}–{bandwidth.Max():F1})");
        var roofText = bandwidth is null ? "—" : Inv($"{Median(bandwidth) * 1e9 / ((double)n * dim * 4):F1}");
        var vsRoof = roofFraction is null ? "—" : Inv($"{Median(roofFraction):P0} ({roofFraction.Max():P0})");
        return Inv($"| {n:N0} | {dim} | {mode} | {Median(ours):F1} ({ours.Max():F1}) | {faissText} | {vsFaiss} | {bandwidthText} | {roofText} | {vsRoof} | {agreement} |");
    }

    private static void PrintEnvironment(ExactBenchOptions options)
    {
        var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?";
        Console.WriteLine(Inv($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        Console.WriteLine(Inv($"cpu: {model}, {Environment.ProcessorCount} logical cores; .NET {Environment.Version}; Vector256 {Vector256.IsHardwareAccelerated}, Vector512 {Vector512.IsHardwareAccelerated}"));
        Console.WriteLine(Inv($"threads: {options.Threads}, k: {options.K}, batch: {options.BatchSize}, trials: {options.Trials} single / {options.BatchTrials} batch, seed {options.Seed}"));
        Console.WriteLine($"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}; data in {options.DataDirectory}");
    }

    private static string Format(double[] qps) => Inv($"median {Median(qps):F1}, best {qps.Max():F1}, trials [{string.Join(", ", qps.Select(q => q.ToString("F1", CultureInfo.InvariantCulture)))}]");

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
