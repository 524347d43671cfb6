using System.Diagnostics;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>
/// Warms a code path up until .NET stops compiling for it. The in-process server's request path (Kestrel, gRPC,
/// protobuf, the registry) is thousands of methods that run unoptimized first and are recompiled, twice with dynamic
/// PGO, on a background thread sharing the machine's cores; a profile of the suite with a fixed two-request warm-up
/// showed that thread busy through the whole first configuration, timing the server at a start-up stage a long-running
/// server leaves behind within a minute. The raw peer is mostly native code and barely notices.
/// </summary>
internal static class JitWarmup
{
    /// <summary>
    /// Runs <paramref name="round"/> at least <paramref name="minRounds"/> times, then until <paramref name="quietRounds"/>
    /// rounds in a row compiled no method anywhere in the process, or until <paramref name="limit"/> has passed.
    /// Returns the rounds run.
    /// </summary>
    public static async Task<int> RunAsync(Func<Task> round, int minRounds, int quietRounds, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var quiet = 0;
        var rounds = 0;
        while (rounds < minRounds || (quiet < quietRounds && clock.Elapsed < limit))
        {
            await round();
            rounds++;
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            quiet = now == compiled ? quiet + 1 : 0;
            compiled = now;
        }

        return rounds;
    }
}
