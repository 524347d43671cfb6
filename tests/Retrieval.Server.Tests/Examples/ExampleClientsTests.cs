using System.Diagnostics;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Examples;

/// <summary>
/// Runs each client under examples/ (the README tour, written with clients nobody here wrote) against a real server
/// listening on loopback; an example that exits non-zero fails the test with its output. Node examples install their
/// packages with <c>npm ci</c> from the committed lockfile the first time; build.sh installs node and python3-grpcio.
/// </summary>
public sealed class ExampleClientsTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    private InProcessServer Server => fixture.Server;

    [Fact]
    public async Task NodeGrpc_RunsTheTour()
    {
        var directory = ExampleDirectory("node-grpc");
        await EnsureNpmPackagesAsync(directory);
        await RunAsync(directory, "node", ["tour.mjs"], "node-grpc");
    }

    /// <summary>Generates the types from this server's served document, compiles (a request the document does not allow
    /// fails here) and runs.</summary>
    [Fact]
    public async Task TypeScriptRest_GeneratesTypesFromTheServedDocument_AndRunsTheTour()
    {
        var directory = ExampleDirectory("typescript-rest");
        await EnsureNpmPackagesAsync(directory);
        await RunAsync(directory, "npm", ["run", "--silent", "tour"], "typescript-rest");
    }

    /// <summary>Debian's interpreter, where apt's python3-grpcio lives (a pyenv or venv python3 first on the path lacks it).</summary>
    [Fact]
    public Task PythonGrpc_RunsTheTour() =>
        RunAsync(ExampleDirectory("python-grpc"), File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3", ["tour.py"], "python-grpc");

    private async Task RunAsync(string directory, string program, string[] arguments, string prefix)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["RETRIEVAL_REST"] = Server.Configuration.RestAddress.ToString().TrimEnd('/');
        start.Environment["RETRIEVAL_GRPC"] = $"{Server.Configuration.GrpcAddress.Host}:{Server.Configuration.GrpcAddress.Port}";
        start.Environment["RETRIEVAL_COLLECTION"] = TestNames.Unique(prefix);
        var (exitCode, output) = await RunProcessAsync(start);
        Assert.True(exitCode == 0, $"{program} {string.Join(' ', arguments)} in {directory} exited {exitCode}:\n{output}");
        Assert.Contains("tour: ok", output, StringComparison.Ordinal);
    }

    private static async Task EnsureNpmPackagesAsync(string directory)
    {
        if (Directory.Exists(Path.Combine(directory, "node_modules")))
        {
            return;
        }

        var start = new ProcessStartInfo("npm") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "ci", "--no-audit", "--no-fund" })
        {
            start.ArgumentList.Add(argument);
        }

        var (exitCode, output) = await RunProcessAsync(start);
        Assert.True(exitCode == 0, $"npm ci in {directory} exited {exitCode}:\n{output}");
    }

    private static async Task<(int ExitCode, string Output)> RunProcessAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} ran past {Bound.TotalSeconds} s:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static string ExampleDirectory(string name)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Retrieval.sln")))
        {
            directory = directory.Parent;
        }

        var example = Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("no Retrieval.sln above the test binaries"), "examples", name);
        Assert.True(Directory.Exists(example), $"{example} is missing");
        return example;
    }
}
