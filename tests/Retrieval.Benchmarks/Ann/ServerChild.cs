using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Grpc.Net.Client;
using Retrieval.Testing.Server;

namespace Retrieval.Benchmarks.Ann;

/// <summary>
/// The real server binary (<c>dotnet Retrieval.Server.dll</c>, with its own runtime settings: Server GC) in a child
/// process, so that the load generator and the server have separate heaps, garbage collectors and thread pools, and
/// each side's CPU time can be read on its own. Stopped with SIGTERM: the server writes its snapshot, and the next
/// child started on the same data directory loads it instead of rebuilding.
/// </summary>
internal sealed partial class ServerChild : IAsyncDisposable
{
    /// <summary>A variant setting that picks the server build to run rather than an environment variable.</summary>
    public const string ServerDirectorySetting = "SERVER_DIR";

    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private ServerChild(Process process, ServerConfiguration configuration)
    {
        _process = process;
        Channel = GrpcChannel.ForAddress(configuration.GrpcAddress);
        Rest = new HttpClient { BaseAddress = configuration.RestAddress };
    }

    public GrpcChannel Channel { get; }

    public HttpClient Rest { get; }

    private bool _disposed;

    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts the server with extra environment variables (GC and JIT settings) and waits until /readyz is green. The
    /// setting <see cref="ServerDirectorySetting"/>, if present, names another build's output directory to run the
    /// server from (an A/B comparison of two builds on one data set) and is not passed on.
    /// </summary>
    public static async Task<ServerChild> StartAsync(ServerConfiguration configuration, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var directory = environment.TryGetValue(ServerDirectorySetting, out var other) ? other : AppContext.BaseDirectory;
        var serverDll = Path.Combine(directory, "Retrieval.Server.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        start.ArgumentList.Add(serverDll);
        foreach (var argument in configuration.ToArguments())
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment.Where(e => e.Key != ServerDirectorySetting))
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {serverDll}");
        var child = new ServerChild(process, configuration);
        process.OutputDataReceived += (_, e) => child.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => child.Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with code {process.ExitCode} before it was ready: {child.RecentOutput()}");
            }

            try
            {
                using var response = await child.Rest.GetAsync(new Uri("/readyz", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return child;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        await child.DisposeAsync();
        throw new TimeoutException($"the server was not ready within {timeout}: {child.RecentOutput()}");
    }

    /// <summary>User + system CPU time of the server process so far (from /proc, in clock ticks of 10 ms).</summary>
    public double CpuMilliseconds()
    {
        // /proc/<pid>/stat: "pid (comm) state ..." — fields after the parenthesised name; utime and stime are the 14th
        // and 15th fields of the whole line.
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks * 1000.0 / ClockTicksPerSecond;
    }

    /// <summary>
    /// The server's own counters from <c>/metrics</c>: bytes allocated on its managed heap so far, gen2 collections so far,
    /// and (builds that export them) the searches run, the seconds spent inside the engine's search and the searches
    /// answered in micro-batches (0 until the first). A value the build does not export is NaN.
    /// </summary>
    public async Task<ServerCounters> ScrapeAsync()
    {
        var text = await Rest.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        double Read(string series)
        {
            foreach (var line in text.AsSpan().EnumerateLines())
            {
                if (line.StartsWith(series, StringComparison.Ordinal) && line.Length > series.Length && line[series.Length] == ' ')
                {
                    return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
                }
            }

            return double.NaN;
        }

        return new ServerCounters(
            Read("system_runtime_dotnet_gc_heap_total_allocated"),
            Read("system_runtime_dotnet_gc_collections{gc_heap_generation=\"gen2\"}"),
            Read("retrieval_search_queries"),
            Read("retrieval_search_engine_seconds"),
            Read("retrieval_search_coalesced_queries") is var coalesced && double.IsNaN(coalesced) ? 0 : coalesced);
    }

    public async ValueTask DisposeAsync()
    {
        // A variant switch disposes the old child before starting the next; if that start fails, the caller's cleanup
        // disposes the old one again, which must not hide the start failure.
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            // SIGTERM: a graceful shutdown that writes the snapshot; SIGKILL only if it does not end in time.
            _ = Kill(_process.Id, SigTerm);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        Channel.Dispose();
        Rest.Dispose();
    }

    public string RecentOutput()
    {
        lock (_output)
        {
            return string.Join(Environment.NewLine, _output);
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > 40)
            {
                _output.Dequeue();
            }
        }
    }

    private static readonly long ClockTicksPerSecond = SysConf(ScClkTck) is var ticks and > 0 ? ticks : 100;

    private const int ScClkTck = 2;

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}

/// <summary>Cumulative server counters read from <c>/metrics</c> (see <see cref="ServerChild.ScrapeAsync"/>).</summary>
internal sealed record ServerCounters(double AllocatedBytes, double Gen2Collections, double Searches, double EngineSeconds, double Coalesced);
