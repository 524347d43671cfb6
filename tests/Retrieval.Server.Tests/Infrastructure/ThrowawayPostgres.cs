using System.Diagnostics;
using Retrieval.Server.Tests.Deploy;

namespace Retrieval.Server.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of the test's own (tests/postgres/start-throwaway.sh), so that the test may stop it abruptly
/// (<see cref="KillAsync"/>: <c>pg_ctl stop -m immediate</c>) and start it again on the same port and data directory
/// (<see cref="StartAgainAsync"/>) without touching the shared test server. Disposing stops it and removes its directory.
/// </summary>
internal sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly string _scripts;

    private ThrowawayPostgres(string scripts, string directory, string connectionString)
    {
        _scripts = scripts;
        Directory = directory;
        ConnectionString = connectionString;
    }

    /// <summary>The cluster's temp directory (data, log, socket).</summary>
    public string Directory { get; }

    /// <summary>Npgsql connection string to its <c>postgres</c> database, as superuser.</summary>
    public string ConnectionString { get; }

    public static async Task<ThrowawayPostgres> StartAsync()
    {
        var scripts = Path.Combine(RepositoryRoot.Find(), "tests", "postgres");
        var (stdout, _) = await RunAsync(Path.Combine(scripts, "start-throwaway.sh"), [], TimeSpan.FromSeconds(120));
        // stdout is `export NAME='value'` lines, meant for eval.
        var exports = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith("export ", StringComparison.Ordinal))
            .Select(line => line["export ".Length..].Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1].Trim('\''), StringComparer.Ordinal);
        return new ThrowawayPostgres(scripts, exports["PGTHROWAWAY_DIR"], exports["RETRIEVAL_TEST_POSTGRES"]);
    }

    /// <summary><c>pg_ctl stop -m immediate</c>: every backend ends at once, as in a crash.</summary>
    public Task KillAsync() => RunAsync(Path.Combine(_scripts, "ctl-throwaway.sh"), [Directory, "kill"], TimeSpan.FromSeconds(60));

    /// <summary>Starts it again (crash recovery first) and returns once it accepts connections.</summary>
    public Task StartAgainAsync() => RunAsync(Path.Combine(_scripts, "ctl-throwaway.sh"), [Directory, "start"], TimeSpan.FromSeconds(90));

    public async ValueTask DisposeAsync() =>
        await RunAsync(Path.Combine(_scripts, "stop-throwaway.sh"), [Directory], TimeSpan.FromSeconds(90));

    private static async Task<(string Stdout, string Stderr)> RunAsync(string script, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {script}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(script)} {string.Join(' ', arguments)} did not finish within {timeout}: {await stderr}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(script)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stderr}");
        }

        return (await stdout, await stderr);
    }
}
