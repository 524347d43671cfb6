using System.Globalization;

namespace Retrieval.Benchmarks.Ann;

/// <summary>Options of <c>ann-serve</c>; see Program's usage text.</summary>
internal sealed record ServeOptions(
    int Count, int Queries, int[] Concurrency, double Seconds, double WarmupSeconds, int Rounds, double OpenFraction, int EfConstruction,
    int Batch, IReadOnlyList<ServerVariant> Variants)
{
    /// <summary>The space's index spec; <c>none</c>: an exact space (every query one scan, batchable by the batch kernel).</summary>
    public string Index { get; init; } = "HNSW32";

    /// <summary>Also drive the transcoded REST endpoint (JSON over HTTP/1.1) in the closed loops.</summary>
    public bool Rest { get; init; }

    /// <summary>Start each later variant on an empty data directory and load it anew (instead of restarting on the first's).</summary>
    public bool FreshServer { get; init; }

    /// <summary>Run the open loop at the end of each variant.</summary>
    public bool OpenLoop { get; init; } = true;

    public static ServeOptions Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        return new ServeOptions(
            int.Parse(Value("--n", "100000"), CultureInfo.InvariantCulture),
            int.Parse(Value("--queries", "1000"), CultureInfo.InvariantCulture),
            [.. Value("--concurrency", "1,2,4,8").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))],
            double.Parse(Value("--seconds", "3"), CultureInfo.InvariantCulture),
            double.Parse(Value("--warmup", "2"), CultureInfo.InvariantCulture),
            int.Parse(Value("--rounds", "3"), CultureInfo.InvariantCulture),
            double.Parse(Value("--open-fraction", "0.5"), CultureInfo.InvariantCulture),
            int.Parse(Value("--ef-construction", "40"), CultureInfo.InvariantCulture),
            int.Parse(Value("--batch", "16"), CultureInfo.InvariantCulture),
            [.. Value("--server-env", "default").Split(';').Select(ServerVariant.Parse)])
        {
            Index = Value("--index", "HNSW32"),
            Rest = bool.Parse(Value("--rest", "false")),
            OpenLoop = bool.Parse(Value("--open", "true")),
            FreshServer = bool.Parse(Value("--fresh-server", "false")),
        };
    }
}

/// <summary>
/// Runtime settings of one server start, as environment variables (<c>DOTNET_gcServer=0,DOTNET_TieredPGO=0</c>);
/// <c>default</c> runs the server as shipped (its runtimeconfig: Server GC).
/// </summary>
internal sealed record ServerVariant(string Name, IReadOnlyDictionary<string, string> Environment)
{
    public static ServerVariant Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == "default")
        {
            return new ServerVariant("default (as shipped)", new Dictionary<string, string>());
        }

        var environment = text.Split(',').Select(pair => pair.Split('=', 2)).ToDictionary(
            pair => pair[0].Trim(),
            pair => pair.Length == 2 ? pair[1].Trim() : throw new ArgumentException($"'{text}': each setting is NAME=VALUE"));
        return new ServerVariant(text.Trim(), environment);
    }
}
