using System.Globalization;

namespace Retrieval.Benchmarks.PeerHarness;

/// <summary>The figures of one <c>peers run</c> and the markdown tables made of them.</summary>
internal sealed class PeersReport(PeerData data, PeersOptions options)
{
    /// <summary>efSearch sweeps at one worker (server peers) or one thread (in-process peers), by peer name.</summary>
    public Dictionary<string, List<SweepPoint>> Sweeps { get; } = [];

    /// <summary>Closed loops by (server peer, recall target, concurrency).</summary>
    public Dictionary<(string Peer, double Target, int Concurrency), LoadPoint> Closed { get; } = [];

    /// <summary>Open loops by (server peer, recall target, offered rate).</summary>
    public Dictionary<(string Peer, double Target, double Rate), LoadPoint> Open { get; } = [];

    /// <summary>The peer's smallest swept ef whose recall reaches <paramref name="target"/>, or null.</summary>
    public SweepPoint? EfFor(string peer, double target) =>
        Sweeps.TryGetValue(peer, out var sweep) ? sweep.FirstOrDefault(p => p.Recall >= target) : null;

    public void Write(TextWriter output, IReadOnlyList<string> servers, IReadOnlyList<string> inProcess)
    {
        output.WriteLine();
        output.WriteLine(Inv($"### {data.Name}: QPS, p50 and p99 at recall@10 ≥ {string.Join(" / ", options.Targets.Select(t => t.ToString("0.00", CultureInfo.InvariantCulture)))}"));
        output.WriteLine();
        output.WriteLine("Server peers: closed loop, N workers in this process, one search per call. In-process peers: one thread, one query per call (no network, no server).");
        output.WriteLine();
        var header = "| recall@10 ≥ | peer | ef | recall | " + string.Join(" | ", options.Concurrency.Select(c => Inv($"QPS {c}w | p50 ms | p99 ms"))) + " | server CPU ms/q |";
        output.WriteLine(header);
        output.WriteLine("|" + string.Concat(Enumerable.Repeat("---|", 5 + (3 * options.Concurrency.Count))));
        foreach (var target in options.Targets)
        {
            foreach (var peer in servers.Concat(inProcess))
            {
                var point = EfFor(peer, target);
                var cells = new List<string> { Inv($"{target:0.00}"), peer };
                if (point is null)
                {
                    cells.Add(Inv($"not reached (best {Best(peer)})"));
                    cells.AddRange(Enumerable.Repeat("—", 2 + (3 * options.Concurrency.Count)));
                }
                else
                {
                    cells.Add(Inv($"{point.Ef}"));
                    cells.Add(Inv($"{point.Recall:F3}"));
                    var cpu = "—";
                    foreach (var c in options.Concurrency)
                    {
                        if (servers.Contains(peer) && Closed.TryGetValue((peer, target, c), out var run))
                        {
                            cells.AddRange([Inv($"{run.Qps:F0}"), Inv($"{run.P50:F3}"), Inv($"{run.P99:F3}")]);
                            cpu = Inv($"{run.ServerCpuPerRequest:F3} (at {c}w)");
                        }
                        else if (!servers.Contains(peer) && c == 1)
                        {
                            cells.AddRange([Inv($"{point.Qps:F0}"), Inv($"{point.P50:F3}"), Inv($"{point.P99:F3}")]);
                        }
                        else
                        {
                            cells.AddRange(["—", "—", "—"]);
                        }
                    }

                    cells.Add(cpu);
                }

                output.WriteLine("| " + string.Join(" | ", cells) + " |");
            }
        }

        WriteRatios(output, servers);
        WriteOpenLoops(output, servers);
        WriteSweeps(output, servers, inProcess);
    }

    private void WriteRatios(TextWriter output, IReadOnlyList<string> servers)
    {
        var ours = servers.FirstOrDefault(s => s.StartsWith("Retrieval", StringComparison.Ordinal));
        var peer = servers.FirstOrDefault(s => s.StartsWith("pgvector", StringComparison.Ordinal));
        if (ours is null || peer is null)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine("| recall@10 ≥ | " + string.Join(" | ", options.Concurrency.Select(c => Inv($"Retrieval ÷ pgvector QPS, {c}w | p99 ratio"))) + " |");
        output.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---|---|", options.Concurrency.Count)));
        foreach (var target in options.Targets)
        {
            var cells = new List<string> { Inv($"{target:0.00}") };
            foreach (var c in options.Concurrency)
            {
                if (Closed.TryGetValue((ours, target, c), out var a) && Closed.TryGetValue((peer, target, c), out var b))
                {
                    cells.AddRange([Inv($"{a.Qps / b.Qps:F2}×"), Inv($"{a.P99 / b.P99:F2}×")]);
                }
                else
                {
                    cells.AddRange(["—", "—"]);
                }
            }

            output.WriteLine("| " + string.Join(" | ", cells) + " |");
        }
    }

    private void WriteOpenLoops(TextWriter output, IReadOnlyList<string> servers)
    {
        if (Open.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine(Inv($"Open loop ({options.Seconds} s per point; latency from each request's scheduled send time; at most 1000 outstanding, more count as not sent):"));
        output.WriteLine();
        output.WriteLine("| recall@10 ≥ | offered QPS | peer | achieved QPS | p50 ms | p99 ms | not sent | server CPU ms/q |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var ((peer, target, rate), run) in Open.OrderBy(e => e.Key.Target).ThenBy(e => e.Key.Rate).ThenBy(e => servers.ToList().IndexOf(e.Key.Peer)))
        {
            output.WriteLine(Inv($"| {target:0.00} | {rate:F0} | {peer} | {run.Qps:F0} | {run.P50:F3} | {run.P99:F3} | {run.Dropped} | {run.ServerCpuPerRequest:F3} |"));
        }
    }

    private void WriteSweeps(TextWriter output, IReadOnlyList<string> servers, IReadOnlyList<string> inProcess)
    {
        output.WriteLine();
        output.WriteLine("efSearch sweeps (server peers: 1 worker, each query once; in-process: 1 thread, median-QPS pass):");
        output.WriteLine();
        output.WriteLine("| peer | ef | recall@10 | QPS | p50 ms | p99 ms |");
        output.WriteLine("|---|---|---|---|---|---|");
        foreach (var peer in servers.Concat(inProcess))
        {
            foreach (var point in Sweeps.GetValueOrDefault(peer) ?? [])
            {
                output.WriteLine(Inv($"| {peer} | {point.Ef} | {point.Recall:F3} | {point.Qps:F0} | {point.P50:F3} | {point.P99:F3} |"));
            }
        }
    }

    private string Best(string peer) =>
        Sweeps.TryGetValue(peer, out var sweep) && sweep.Count > 0 ? Inv($"{sweep.Max(p => p.Recall):F3} at ef {sweep.MaxBy(p => p.Recall)!.Ef}") : "not measured";

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
