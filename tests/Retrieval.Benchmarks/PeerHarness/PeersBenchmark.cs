using System.Diagnostics;
using System.Globalization;
using Retrieval.Benchmarks.Ann;
using Retrieval.Engine.Indexes;

namespace Retrieval.Benchmarks.PeerHarness;

/// <summary>
/// Issue 16's peer harness. <c>peers export</c> writes one data set (vectors, queries, exact truth) to a folder;
/// <c>peers run</c> measures every peer on it in one run:
/// <list type="bullet">
/// <item>server peers — Retrieval over gRPC (child process) and PostgreSQL + pgvector over Npgsql (prepared by
/// peers/pgvector.sh) — driven by the same load generator with the same queries: an efSearch sweep at one worker
/// (recall@10, QPS, p50, p99 per ef), then at the smallest ef reaching each recall target closed loops at each
/// concurrency (interleaved peer by peer) and open loops at fixed rates, latency counted from each request's
/// scheduled send time (no coordinated omission);</item>
/// <item>in-process peers — Retrieval's engine, hnswlib and Faiss built for this CPU (peers/build-native.sh) — swept
/// on one thread.</item>
/// </list>
/// Loads and graph builds happen first; the measurements then run inside the exclusive quiet lock (<c>--lock</c>)
/// with every measured process (this one, the server child, the postmaster and its backends) at the same nice value
/// (<c>--nice</c>).
/// </summary>
internal static class PeersBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "export":
                return Export(args[1..]);
            case "run":
                return await MeasureAsync(PeersOptions.Parse(args[1..]));
            default:
                await Console.Error.WriteLineAsync("usage: peers export --data fasttext|synthetic --out DIR [...] | peers run --data DIR [...] (see the usage text)");
                return 2;
        }
    }

    private static int Export(string[] args)
    {
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        var output = Value("--out") ?? throw new ArgumentException("--out: the folder to write is required");
        var queries = int.Parse(Value("--queries") ?? "1000", CultureInfo.InvariantCulture);
        var root = Value("--data-root") ?? "../shared/data";
        var watch = Stopwatch.StartNew();
        var data = (Value("--data") ?? "fasttext") switch
        {
            "fasttext" => AnnDataset.FromNpy(
                "wordnet-fasttext M_old 60k×96", Path.Combine(root, "wordnet-fasttext", "M_old.items.npy"), Path.Combine(root, "wordnet-fasttext", "M_old.queries.npy"), queries, 10),
            "synthetic" => AnnDataset.Synthetic(
                int.Parse(Value("--n") ?? "200000", CultureInfo.InvariantCulture), queries, int.Parse(Value("--dim") ?? "128", CultureInfo.InvariantCulture), 10, seed: 7),
            var other => throw new ArgumentException($"--data: '{other}' is not fasttext or synthetic"),
        };
        PeerData.Export(data, output);
        Console.WriteLine(Inv($"{data.Name}: {data.Count} × {data.Dimension}, {data.QueryCount} queries, exact top-10 truth; written to {output} in {watch.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }

    private static async Task<int> MeasureAsync(PeersOptions options)
    {
        var data = PeerData.Read(options.DataFolder);
        var log = Console.Out;
        await log.WriteLineAsync(Inv($"# peers: {data.Name}, {data.Count} × {data.Dimension}, {data.QueryCount} queries, k = {data.K}, {(data.InnerProduct ? "inner product (unit vectors)" : "L2")}; HNSW M = {options.M}, efConstruction = {options.EfConstruction}"));
        await log.WriteLineAsync(Inv($"# {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} CPUs, load {LoadAverage()}"));

        // Loads and builds first, outside the timed window.
        var servers = new List<IServerPeer>();
        var engines = new List<EnginePeer>();
        IndexPeer? indexLayer = null;
        var natives = new List<NativePeer>();
        try
        {
            foreach (var name in options.Peers)
            {
                switch (name)
                {
                    case "retrieval":
                        servers.Add(await RetrievalServerPeer.StartAsync(data, options.M, options.EfConstruction, log));
                        break;
                    case "pgvector":
                        servers.Add(await PgvectorServerPeer.ConnectAsync(options.PostgresConnection!, data, log));
                        break;
                    case "engine":
                        engines.Add(await EnginePeer.StartAsync(data, options.M, options.EfConstruction, log));
                        break;
                    case "index":
                        indexLayer = IndexPeer.Build(data, options.M, options.EfConstruction, log);
                        break;
                    case "engine-usearch":
                        engines.Add(await EnginePeer.StartAsync(data, options.M, options.EfConstruction, log, HnswLibrary.USearch));
                        break;
                    default:
                        if (NativePeer.Find(name, options.NativeFolder, options.DataFolder, options.M, options.EfConstruction) is { } native)
                        {
                            await native.BuildAsync(log);
                            natives.Add(native);
                        }
                        else
                        {
                            await log.WriteLineAsync($"# {name}: no hnsw_native_{name} in {options.NativeFolder} (peers/build-native.sh), not measured");
                        }

                        break;
                }
            }

            var report = new PeersReport(data, options);
            using (var quiet = TakeQuietWindow(options, servers, log))
            {
                foreach (var server in servers)
                {
                    report.Sweeps[server.Name] = await SweepAsync(server, data, options);
                }

                foreach (var target in options.Targets)
                {
                    await MeasureTargetAsync(servers, data, options, report, target);
                }

                foreach (var engine in engines)
                {
                    report.Sweeps[engine.Name] = engine.Sweep(options.Efs, options.Passes, options.Targets.Max());
                }

                if (indexLayer is not null)
                {
                    report.Sweeps[IndexPeer.Name] = indexLayer.Sweep(options.Efs, options.Passes, options.Targets.Max());
                }

                foreach (var native in natives)
                {
                    report.Sweeps[native.Name] = await native.SweepAsync(options.Efs, options.Passes, log);
                }

                await log.WriteLineAsync(Inv($"# measured up to {DateTime.UtcNow:HH:mm:ss} UTC, load {LoadAverage()}"));
            }

            report.Write(log, servers.Select(s => s.Name).ToList(), [.. engines.Select(e => e.Name).Concat(indexLayer is null ? [] : [IndexPeer.Name]).Concat(natives.Select(n => n.Name))]);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }

            foreach (var engine in engines)
            {
                await engine.DisposeAsync();
            }

            indexLayer?.Dispose();
        }

        return 0;
    }

    /// <summary>The exclusive quiet lock and one nice value for every measured process, if asked for.</summary>
    private static QuietWindow TakeQuietWindow(PeersOptions options, List<IServerPeer> servers, TextWriter log)
    {
        ExclusiveFileLock? held = null;
        if (options.LockPath is { } path)
        {
            var waited = Stopwatch.StartNew();
            held = ExclusiveFileLock.TryAcquire(path, TimeSpan.FromSeconds(options.LockTimeoutSeconds));
            log.WriteLine(held is null
                ? Inv($"# exclusive lock {path} NOT had within {options.LockTimeoutSeconds} s: measured without it; load {LoadAverage()}")
                : Inv($"# exclusive lock {path} after {waited.Elapsed.TotalSeconds:F0} s; load {LoadAverage()}"));
        }

        var restore = new List<(int Pid, int Nice)>();
        if (options.Nice is { } nice)
        {
            foreach (var pid in servers.Select(s => s.ServerProcessId).Prepend(Environment.ProcessId))
            {
                restore.Add((pid, ProcessTree.Nice(pid)));
                ProcessTree.Renice(pid, nice);
            }

            log.WriteLine(Inv($"# nice {nice}: this process, {string.Join(", ", servers.Select(s => $"{s.Name} pid {s.ServerProcessId} and its children"))}"));
        }

        return new QuietWindow(held, restore);
    }

    /// <summary>Gives the lock back and the measured processes their nice values from before the window.</summary>
    private sealed class QuietWindow(ExclusiveFileLock? held, List<(int Pid, int Nice)> restore) : IDisposable
    {
        public void Dispose()
        {
            foreach (var (pid, nice) in restore)
            {
                ProcessTree.Renice(pid, nice);
            }

            held?.Dispose();
        }
    }

    /// <summary>
    /// efSearch sweep at one worker: every query once per ef, in order, after 100 unmeasured calls (connections, JIT,
    /// prepared statements); stops at the first ef that reaches the highest target.
    /// </summary>
    private static async Task<List<SweepPoint>> SweepAsync(IServerPeer peer, PeerData data, PeersOptions options)
    {
        var points = new List<SweepPoint>();
        var first = true;
        foreach (var ef in options.Efs.Where(ef => ef <= peer.MaxEf))
        {
            await peer.UseEfAsync(ef);
            if (first)
            {
                await LoadGenerator.ClosedLoopAsync(options.Concurrency.Max(), options.WarmupSeconds, q => peer.SearchAsync(q % data.QueryCount));
                first = false;
            }

            for (var q = 0; q < Math.Min(100, data.QueryCount); q++)
            {
                await peer.SearchAsync(q);
            }

            var latencies = new double[data.QueryCount];
            var hits = 0;
            var clock = Stopwatch.StartNew();
            for (var q = 0; q < data.QueryCount; q++)
            {
                var started = Stopwatch.GetTimestamp();
                var rows = await peer.SearchAsync(q);
                latencies[q] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                hits += data.Hits(q, rows);
            }

            var elapsed = clock.Elapsed.TotalSeconds;
            Array.Sort(latencies);
            points.Add(new SweepPoint(ef, (double)hits / (data.QueryCount * data.K), data.QueryCount / elapsed, EnginePeer.Percentile(latencies, 0.5), EnginePeer.Percentile(latencies, 0.99)));
            if (points[^1].Recall >= options.Targets.Max())
            {
                break;
            }
        }

        return points;
    }

    /// <summary>
    /// At each server peer's smallest ef reaching <paramref name="target"/>: closed loops at every concurrency
    /// (peer after peer at each concurrency, so that drifts in the machine's load hit both), then open loops at the
    /// same fixed rates for every peer.
    /// </summary>
    private static async Task MeasureTargetAsync(List<IServerPeer> servers, PeerData data, PeersOptions options, PeersReport report, double target)
    {
        var reaching = servers.Where(s => report.EfFor(s.Name, target) is not null).ToList();
        foreach (var server in reaching)
        {
            await server.UseEfAsync(report.EfFor(server.Name, target)!.Ef);
            await LoadGenerator.ClosedLoopAsync(options.Concurrency.Max(), Math.Min(1, options.WarmupSeconds), q => server.SearchAsync(q % data.QueryCount));
        }

        foreach (var concurrency in options.Concurrency)
        {
            foreach (var server in reaching)
            {
                var cpuBefore = ProcessTree.CpuMilliseconds(server.ServerProcessId);
                var run = await LoadGenerator.ClosedLoopAsync(concurrency, options.Seconds, q => server.SearchAsync(q % data.QueryCount));
                var cpu = (ProcessTree.CpuMilliseconds(server.ServerProcessId) - cpuBefore) / Math.Max(1, run.Latency.Count);
                report.Closed[(server.Name, target, concurrency)] = new LoadPoint(run.Qps, run.Latency.Percentile(0.5), run.Latency.Percentile(0.99), cpu, 0);
            }
        }

        if (reaching.Count == 0)
        {
            return;
        }

        // Fixed rates, the same for every peer: given, or fractions of the slowest peer's closed-loop peak.
        var slowestPeak = reaching.Min(s => options.Concurrency.Max(c => report.Closed[(s.Name, target, c)].Qps));
        var rates = options.OpenRates.Count > 0 ? options.OpenRates : [.. options.OpenFractions.Select(f => Math.Round(f * slowestPeak))];
        foreach (var rate in rates)
        {
            foreach (var server in reaching)
            {
                var cpuBefore = ProcessTree.CpuMilliseconds(server.ServerProcessId);
                var run = await LoadGenerator.OpenLoopAsync(rate, options.Seconds, maxOutstanding: 1000, q => server.SearchAsync(q % data.QueryCount));
                var cpu = (ProcessTree.CpuMilliseconds(server.ServerProcessId) - cpuBefore) / Math.Max(1, run.Latency.Count);
                report.Open[(server.Name, target, rate)] = new LoadPoint(run.Qps, run.Latency.Percentile(0.5), run.Latency.Percentile(0.99), cpu, run.Dropped);
            }
        }
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Aggregate((a, b) => $"{a} {b}");

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One load run: achieved QPS, latency percentiles (ms), server CPU ms per request, requests not sent (open loop).</summary>
internal sealed record LoadPoint(double Qps, double P50, double P99, double ServerCpuPerRequest, int Dropped);
