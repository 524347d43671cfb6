using System.Globalization;

namespace Retrieval.Benchmarks.Exact;

/// <summary>Command-line settings of the <c>exact</c> suite.</summary>
internal sealed record ExactBenchOptions
{
    public int[] Rows { get; init; } = [100_000, 1_000_000];

    public int[] Dimensions { get; init; } = [128, 768];

    public int K { get; init; } = 10;

    public int BatchSize { get; init; } = 1000;

    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Trials of the single-query measurement; each runs queries for at least <see cref="MinTrialSeconds"/>.</summary>
    public int Trials { get; init; } = 5;

    /// <summary>Trials of the whole batch (each is one SearchBatch of <see cref="BatchSize"/> queries).</summary>
    public int BatchTrials { get; init; } = 3;

    public double MinTrialSeconds { get; init; } = 1.0;

    public bool RunPeer { get; init; } = true;

    public ulong Seed { get; init; } = 42;

    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "retrieval-bench");

    public static ExactBenchOptions Parse(string[] args)
    {
        var options = new ExactBenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--n" => options with { Rows = Ints(Next()) },
                "--dim" => options with { Dimensions = Ints(Next()) },
                "--k" => options with { K = Int(Next()) },
                "--batch" => options with { BatchSize = Int(Next()) },
                "--threads" => options with { Threads = Int(Next()) },
                "--trials" => options with { Trials = Int(Next()) },
                "--batch-trials" => options with { BatchTrials = Int(Next()) },
                "--min-time" => options with { MinTrialSeconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--seed" => options with { Seed = ulong.Parse(Next(), CultureInfo.InvariantCulture) },
                "--data-dir" => options with { DataDirectory = Next() },
                "--no-peer" => options with { RunPeer = false },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return options;
    }

    private static int Int(string s) => int.Parse(s.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    private static int[] Ints(string s) => [.. s.Split(',').Select(Int)];
}
