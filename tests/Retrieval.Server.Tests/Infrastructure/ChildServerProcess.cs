using System.Diagnostics;
using Grpc.Net.Client;
using Retrieval.Contracts.V1;

using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Infrastructure;

/// <summary>
/// The real server binary in a child process, so a test can SIGKILL it (no shutdown hooks run) or SIGTERM it (an
/// orderly stop), and restart it on the same store.
/// </summary>
internal sealed class ChildServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly GrpcChannel _channel;
    private readonly HttpClient _rest;
    private readonly Queue<string> _recentOutput = new();
    private readonly List<string> _errorLines = [];
    private readonly List<GrpcChannel> _extraChannels = [];
    private readonly Uri _grpcAddress;
    private readonly DateTime _started = DateTime.UtcNow;

    private ChildServerProcess(Process process, ServerConfiguration configuration)
    {
        _process = process;
        GrpcPort = configuration.GrpcPort;
        _grpcAddress = configuration.GrpcAddress;
        _channel = GrpcChannel.ForAddress(configuration.GrpcAddress);
        _rest = new HttpClient { BaseAddress = configuration.RestAddress };
        Collections = new Collections.CollectionsClient(_channel);
        Items = new Items.ItemsClient(_channel);
        Migrations = new Migrations.MigrationsClient(_channel);
        Search = new Search.SearchClient(_channel);
        Encoders = new Contracts.V1.Encoders.EncodersClient(_channel);
        Cluster = new Contracts.V1.Cluster.ClusterClient(_channel);
        Maps = new Contracts.V1.Maps.MapsClient(_channel);
    }

    public Collections.CollectionsClient Collections { get; }

    public Items.ItemsClient Items { get; }

    public Migrations.MigrationsClient Migrations { get; }

    public Search.SearchClient Search { get; }

    public Contracts.V1.Encoders.EncodersClient Encoders { get; }

    public Contracts.V1.Cluster.ClusterClient Cluster { get; }

    public Contracts.V1.Maps.MapsClient Maps { get; }

    public int GrpcPort { get; }

    /// <summary>Output lines the child logged at error or fatal level so far (Serilog's text format: <c>[hh:mm:ss ERR]</c>).</summary>
    public IReadOnlyList<string> ErrorLines
    {
        get
        {
            lock (_errorLines)
            {
                return [.. _errorLines];
            }
        }
    }

    /// <summary>GET /readyz: the status code and the body (the overall status, then one line per check that is not healthy).</summary>
    public async Task<(System.Net.HttpStatusCode Status, string Body)> ReadyzAsync(TimeSpan timeout)
    {
        using var bound = new CancellationTokenSource(timeout);
        using var response = await _rest.GetAsync(new Uri("/readyz", UriKind.Relative), bound.Token);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(bound.Token));
    }

    /// <summary>The server's process id (<c>dotnet Retrieval.Server.dll</c> runs the app in this process), for /proc.</summary>
    public int ProcessId => _process.Id;

    /// <summary>A REST client on the server's HTTP/1.1 port (also where /metrics is scraped).</summary>
    public HttpClient Rest => _rest;

    /// <summary>
    /// An items client on a new channel (a new HTTP/2 connection): tells a stuck connection apart from a stuck server.
    /// </summary>
    public Items.ItemsClient FreshItemsClient()
    {
        var channel = GrpcChannel.ForAddress(_grpcAddress);
        _extraChannels.Add(channel);
        return new Items.ItemsClient(channel);
    }

    /// <summary>
    /// What a failing test should print: whether the child still runs, how long it has, and its last output lines
    /// (the child logs warnings and errors only, so these are the ones that matter).
    /// </summary>
    public string Diagnostics()
    {
        string[] lines;
        lock (_recentOutput)
        {
            lines = [.. _recentOutput];
        }

        var state = _process.HasExited ? $"exited with code {_process.ExitCode}" : $"running (pid {_process.Id})";
        var output = lines.Length == 0 ? "(no output)" : string.Join(Environment.NewLine, lines);
        return $"server {state}, gRPC port {GrpcPort}, started {(DateTime.UtcNow - _started).TotalSeconds:F0} s ago; last output:{Environment.NewLine}{output}";
    }

    /// <summary>
    /// Starts the server binary built next to the tests and waits until /readyz is green. A child that cannot bind its
    /// ports (another process took one between <see cref="ServerConfiguration.RenewPorts"/> and the bind: ports are
    /// picked free, then released) is started again on new ports; any other early exit fails with its output.
    /// </summary>
    public static async Task<ChildServerProcess> StartAsync(ServerConfiguration configuration, TimeSpan timeout)
    {
        for (var attempt = 1; ; attempt++)
        {
            var child = Launch(configuration);
            try
            {
                await child.WaitUntilReadyAsync(timeout);
                return child;
            }
            catch (ChildServerExitedException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await child.DisposeAsync();
                configuration.RenewPorts();
            }
            catch
            {
                await child.DisposeAsync();
                throw;
            }
        }
    }

    private static ChildServerProcess Launch(ServerConfiguration configuration)
    {
        var serverDll = Path.Combine(AppContext.BaseDirectory, "Retrieval.Server.dll");
        if (!File.Exists(serverDll))
        {
            throw new FileNotFoundException("the server binary is not next to the tests", serverDll);
        }

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(serverDll);
        foreach (var argument in configuration.ToArguments())
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server process");
        var child = new ChildServerProcess(process, configuration);
        // Drain the pipes so the child never blocks on a full stdout, keeping the tail for Diagnostics().
        process.OutputDataReceived += (_, e) => child.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => child.Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>SIGKILL: the process gets no chance to flush or shut down.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>
    /// SIGTERM, as an orchestrator stops a container: the host runs its shutdown (drains requests, disposes the engine).
    /// Sent with <c>kill</c>, since .NET's <see cref="Process"/> can only SIGKILL.
    /// </summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            ?? throw new InvalidOperationException("could not start kill");
        await kill.WaitForExitAsync();
        Assert.True(kill.ExitCode == 0, $"kill -TERM {_process.Id} exited with {kill.ExitCode}");
    }

    /// <summary>Waits for the child to exit, at most <paramref name="bound"/>; true when it did.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return false;
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        _channel.Dispose();
        foreach (var channel in _extraChannels)
        {
            channel.Dispose();
        }

        _rest.Dispose();
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line.Contains(" ERR]", StringComparison.Ordinal) || line.Contains(" FTL]", StringComparison.Ordinal))
        {
            lock (_errorLines)
            {
                _errorLines.Add(line);
            }
        }

        lock (_recentOutput)
        {
            _recentOutput.Enqueue(line);
            while (_recentOutput.Count > 40)
            {
                _recentOutput.Dequeue();
            }
        }
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // Without a timeout this also waits for the redirected output to be read to its end.
                await _process.WaitForExitAsync();
                throw new ChildServerExitedException($"the server exited with code {_process.ExitCode} before it was ready; {Diagnostics()}");
            }

            try
            {
                using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                using var response = await _rest.GetAsync(new Uri("/readyz", UriKind.Relative), probe.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening (or not answering) yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the server was not ready within {timeout}; {Diagnostics()}");
    }
}

/// <summary>The child server process ended before it was ready; the message carries its last output.</summary>
internal sealed class ChildServerExitedException(string message) : Exception(message);
