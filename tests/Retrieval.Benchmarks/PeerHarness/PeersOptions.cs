using System.Globalization;

namespace Retrieval.Benchmarks.PeerHarness;

/// <summary>Options of <c>peers run</c>; see Program's usage text and docs/benchmarks.md.</summary>
internal sealed record PeersOptions(
    string DataFolder,
    IReadOnlyList<string> Peers,
    string? PostgresConnection,
    string NativeFolder,
    int M,
    int EfConstruction,
    IReadOnlyList<int> Efs,
    IReadOnlyList<double> Targets,
    IReadOnlyList<int> Concurrency,
    double Seconds,
    double WarmupSeconds,
    IReadOnlyList<double> OpenFractions,
    IReadOnlyList<double> OpenRates,
    int Passes,
    string? LockPath,
    int LockTimeoutSeconds,
    int? Nice)
{
    public static readonly string[] KnownPeers = ["retrieval", "pgvector", "engine", "engine-usearch", "index", "hnswlib", "faiss"];

    public static PeersOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 ? (i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{name} needs a value")) : null;
        }

        int[] Ints(string name, string fallback) => [.. (Value(name) ?? fallback).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture))];
        double[] Doubles(string name, string fallback) => [.. (Value(name) ?? fallback).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture))];

        var peers = (Value("--peers") ?? "retrieval,pgvector,engine,hnswlib,faiss").Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (peers.FirstOrDefault(p => !KnownPeers.Contains(p)) is { } unknown)
        {
            throw new ArgumentException($"--peers: unknown peer '{unknown}' ({string.Join(", ", KnownPeers)})");
        }

        var options = new PeersOptions(
            Value("--data") ?? throw new ArgumentException("--data: the folder written by `peers export` is required"),
            peers,
            Value("--pg") ?? Environment.GetEnvironmentVariable("PGVECTOR_PEER"),
            Value("--native") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "retrieval-bench", "peers"),
            int.Parse(Value("--m") ?? "16", CultureInfo.InvariantCulture),
            int.Parse(Value("--ef-construction") ?? "64", CultureInfo.InvariantCulture),
            Ints("--ef", "16,32,48,64,96,128,192,256,384,512,768,1000,1536,2048,3072"),
            Doubles("--targets", "0.95,0.98,0.99"),
            Ints("--concurrency", "1,4,16"),
            double.Parse(Value("--seconds") ?? "4", CultureInfo.InvariantCulture),
            double.Parse(Value("--warmup") ?? "2", CultureInfo.InvariantCulture),
            Doubles("--open-fractions", "0.5,0.8"),
            Doubles("--open-rates", string.Empty),
            int.Parse(Value("--passes") ?? "3", CultureInfo.InvariantCulture),
            Value("--lock"),
            int.Parse(Value("--lock-timeout") ?? "900", CultureInfo.InvariantCulture),
            Value("--nice") is { } nice ? int.Parse(nice, CultureInfo.InvariantCulture) : null);
        if (options.Efs.Count == 0 || options.Efs.Any(ef => ef < 1) || !options.Efs.SequenceEqual(options.Efs.Order()))
        {
            throw new ArgumentException("--ef: a non-empty ascending list of positive values");
        }

        if (options.Targets.Count == 0 || options.Targets.Any(t => t is <= 0 or > 1))
        {
            throw new ArgumentException("--targets: recall values in (0, 1]");
        }

        if (options.Concurrency.Count == 0 || options.Concurrency.Any(c => c < 1) || options.Seconds <= 0 || options.Passes < 1 || options.M < 2 || options.EfConstruction < 1)
        {
            throw new ArgumentException("--concurrency ≥ 1, --seconds > 0, --passes ≥ 1, --m ≥ 2 and --ef-construction ≥ 1 are required");
        }

        if (options.OpenFractions.Any(f => f <= 0) || options.OpenRates.Any(r => r <= 0))
        {
            throw new ArgumentException("--open-fractions and --open-rates: positive values");
        }

        if (options.Peers.Contains("pgvector") && string.IsNullOrEmpty(options.PostgresConnection))
        {
            throw new ArgumentException("--pg (or PGVECTOR_PEER, exported by peers/pgvector.sh) is required for the pgvector peer");
        }

        return options;
    }
}
