using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Retrieval.Core.Errors;
using Retrieval.Engine.Indexes;
using Retrieval.Faiss;

namespace Retrieval.Benchmarks.Ann;

/// <summary>
/// Per-query cost of our IVF-PQ path against raw Faiss on the very same index: our IndexBuilder builds it, the same
/// bytes are loaded by our binding (<see cref="FaissIndex"/>), by our index layer (<see cref="IVectorIndex"/>, the
/// engine's per-segment call) and by python3-faiss (<c>faiss.read_index</c>). Each side searches one query at a time
/// on one OpenMP thread; rounds alternate ours / raw, and the report gives the median CPU time (process) and wall time
/// per query of each side, so that load from other processes shows up in wall time but hardly in CPU time.
/// </summary>
internal static class AnnOverheadBenchmark
{
    private const int K = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        string Value(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        var dataRoot = Value("--data-root", "../shared/data");
        var queries = int.Parse(Value("--queries", "1000"), CultureInfo.InvariantCulture);
        var rounds = int.Parse(Value("--rounds", "5"), CultureInfo.InvariantCulture);
        var nprobes = Value("--nprobe", "1,4,16,64").Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var directory = Value("--out", Path.Combine(Path.GetTempPath(), "retrieval-ann-overhead"));
        var data = Value("--data", "fasttext") switch
        {
            "fasttext" => AnnDataset.FromNpy("wordnet-fasttext M_old 60k×96", Path.Combine(dataRoot, "wordnet-fasttext", "M_old.items.npy"), Path.Combine(dataRoot, "wordnet-fasttext", "M_old.queries.npy"), queries, K),
            "minilm" => AnnDataset.FromNpy("wordnet-minilm 10k×384", Path.Combine(dataRoot, "wordnet-minilm-arctic", "minilm.items.npy"), Path.Combine(dataRoot, "wordnet-minilm-arctic", "minilm.queries.npy"), queries, K),
            "synthetic" => AnnDataset.Synthetic(int.Parse(Value("--n", "200000"), CultureInfo.InvariantCulture), queries, 128, K, seed: 42),
            var other => throw new ArgumentException($"unknown data set '{other}' (fasttext, minilm, synthetic)"),
        };
        var nlist = Math.Clamp((int)Math.Sqrt(data.Count) * 2, 16, 1024);
        var spec = IndexSpec.Parse(Value("--spec", $"IVF{nlist},PQ{(data.Dimension % 16 == 0 ? 16 : 8)}x8"), data.Dimension, FieldPath.Of("index"));

        Console.WriteLine(Inv($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} CPUs, load {File.ReadAllText("/proc/loadavg").Trim()}"));
        Console.WriteLine($"== {data.Name}: {data.Count} vectors, {data.QueryCount} queries, {spec}");
        var indexing = new IndexingOptions { TrainingPointsPerList = 39 };
        using var layer = IndexBuilder.Build(spec, data.Metric, data.Storage, indexing, null, CancellationToken.None);
        var bytes = layer.Serialize();
        Directory.CreateDirectory(directory);
        var indexPath = Path.Combine(directory, "index.faiss");
        var queriesPath = Path.Combine(directory, "queries.f32");
        await File.WriteAllBytesAsync(indexPath, bytes);
        await File.WriteAllBytesAsync(queriesPath, MemoryMarshal.AsBytes(data.Queries.AsSpan()).ToArray());
        using var binding = FaissIndex.Deserialize(bytes);
        FaissRuntime.ThreadCount = 1;

        var samples = new Dictionary<(string Engine, int NProbe), List<(double Cpu, double Wall)>>();
        var recalls = new Dictionary<(string Engine, int NProbe), double>();
        void Record(string engine, int nprobe, double cpu, double wall, long[] ids)
        {
            if (!samples.TryGetValue((engine, nprobe), out var list))
            {
                samples[(engine, nprobe)] = list = [];
            }

            list.Add((cpu, wall));
            recalls[(engine, nprobe)] = data.Recall(ids, K);
        }

        // Warm-up: JIT tiers and page faults on both of our paths before anything is timed.
        foreach (var nprobe in nprobes)
        {
            SearchBinding(data, binding, nprobe);
            SearchLayer(data, layer, nprobe);
        }

        for (var round = 0; round < rounds; round++)
        {
            foreach (var nprobe in nprobes)
            {
                var (cpu, wall, ids) = SearchBinding(data, binding, nprobe);
                Record("ours: binding (FaissIndex)", nprobe, cpu, wall, ids);
                (cpu, wall, ids) = SearchLayer(data, layer, nprobe);
                Record("ours: index layer (IVectorIndex)", nprobe, cpu, wall, ids);
            }

            foreach (var (nprobe, cpu, wall, ids) in await RunPeerAsync(indexPath, queriesPath, data.Dimension, nprobes))
            {
                Record("python3-faiss (read_index, same file)", nprobe, cpu, wall, ids);
            }

            Console.WriteLine($"round {round + 1}/{rounds} done, load {File.ReadAllText("/proc/loadavg").Trim()}");
        }

        Console.WriteLine(Markdown(samples, recalls, nprobes));
        return 0;
    }

    private static string Markdown(Dictionary<(string Engine, int NProbe), List<(double Cpu, double Wall)>> samples, Dictionary<(string Engine, int NProbe), double> recalls, int[] nprobes)
    {
        const string Raw = "python3-faiss (read_index, same file)";
        var text = new StringBuilder();
        text.AppendLine("| nprobe | side | recall@10 | CPU µs/query (median) | wall µs/query (median) | CPU-time QPS ours / raw | wall QPS ours / raw |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var nprobe in nprobes)
        {
            var rawCpu = Median(samples[(Raw, nprobe)].Select(s => s.Cpu));
            var rawWall = Median(samples[(Raw, nprobe)].Select(s => s.Wall));
            foreach (var engine in samples.Keys.Where(k => k.NProbe == nprobe).Select(k => k.Engine))
            {
                var cpu = Median(samples[(engine, nprobe)].Select(s => s.Cpu));
                var wall = Median(samples[(engine, nprobe)].Select(s => s.Wall));
                var ratios = engine == Raw ? "| — | — |" : Inv($"| {rawCpu / cpu:F2}× | {rawWall / wall:F2}× |");
                text.AppendLine(Inv($"| {nprobe} | {engine} | {recalls[(engine, nprobe)]:F3} | {cpu:F1} | {wall:F1} {ratios}"));
            }
        }

        return text.ToString();
    }

    private static (double CpuMicroseconds, double WallMicroseconds, long[] Ids) SearchBinding(AnnDataset data, FaissIndex index, int nprobe)
    {
        var ids = new long[data.QueryCount * K];
        var scores = new float[K];
        var parameters = new FaissSearchParameters { NProbe = nprobe };
        return Time(data.QueryCount, ids, () =>
        {
            for (var q = 0; q < data.QueryCount; q++)
            {
                index.Search(data.Query(q), K, ids.AsSpan(q * K, K), scores, parameters);
            }
        });
    }

    private static (double CpuMicroseconds, double WallMicroseconds, long[] Ids) SearchLayer(AnnDataset data, IVectorIndex index, int nprobe)
    {
        var ids = new long[data.QueryCount * K];
        var scores = new float[K];
        var parameters = new IndexSearchParameters(0, nprobe);
        return Time(data.QueryCount, ids, () =>
        {
            for (var q = 0; q < data.QueryCount; q++)
            {
                index.Search(data.Query(q), K, parameters, null, ids.AsSpan(q * K, K), scores);
            }
        });
    }

    private static (double, double, long[]) Time(int queries, long[] ids, Action search)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        search();
        var elapsed = wall.Elapsed.TotalMicroseconds;
        process.Refresh();
        return ((process.TotalProcessorTime - cpu).TotalMicroseconds / queries, elapsed / queries, ids);
    }

    private static async Task<List<(int NProbe, double Cpu, double Wall, long[] Ids)>> RunPeerAsync(string indexPath, string queriesPath, int dimension, int[] nprobes)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "peers", "ann_overhead_peer.py"), indexPath, queriesPath,
            dimension.ToString(CultureInfo.InvariantCulture), K.ToString(CultureInfo.InvariantCulture), string.Join(',', nprobes),
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start /usr/bin/python3");
        var points = new List<(int, double, double, long[])>();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            points.Add((root.GetProperty("param").GetInt32(), root.GetProperty("cpu_us").GetDouble(), root.GetProperty("wall_us").GetDouble(),
                [.. root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64())]));
        }

        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? points : throw new InvalidOperationException($"ann_overhead_peer.py exited with {process.ExitCode}");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
