namespace Retrieval.Testing.Server;

/// <summary>Command-line configuration for a server under test: its own data directory and loopback ports.</summary>
public sealed class ServerConfiguration
{
    public ServerConfiguration(string store, string? postgresConnection, string? dataDirectory = null)
    {
        Store = store;
        PostgresConnection = postgresConnection;
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "retrieval-tests", Guid.NewGuid().ToString("N"));
        RestPort = FreePort.Next();
        GrpcPort = FreePort.Next();
    }

    public string Store { get; }

    public string? PostgresConnection { get; }

    public string DataDirectory { get; }

    public int RestPort { get; private set; }

    public int GrpcPort { get; private set; }

    public Dictionary<string, string> Extra { get; } = [];

    public Uri RestAddress => new($"http://127.0.0.1:{RestPort}");

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    /// <summary>Picks new ports (after a restart the old ones may linger in TIME_WAIT).</summary>
    public void RenewPorts()
    {
        RestPort = FreePort.Next();
        GrpcPort = FreePort.Next();
    }

    public string[] ToArguments()
    {
        var settings = new Dictionary<string, string>
        {
            ["Retrieval:DataDirectory"] = DataDirectory,
            ["Retrieval:Store"] = Store,
            ["Kestrel:Endpoints:Rest:Url"] = RestAddress.ToString().TrimEnd('/'),
            ["Kestrel:Endpoints:Grpc:Url"] = GrpcAddress.ToString().TrimEnd('/'),
            ["Serilog:MinimumLevel:Default"] = "Warning",
            // The suites that exercise the API run on loopback with authentication off, as `./build.sh serve` does;
            // the security tests turn it on through Extra.
            ["Retrieval:Auth:Mode"] = "disabled",
        };
        if (PostgresConnection is not null)
        {
            settings["ConnectionStrings:Postgres"] = PostgresConnection;
        }

        foreach (var (key, value) in Extra)
        {
            settings[key] = value;
        }

        return settings.Select(kv => $"--{kv.Key}={kv.Value}").ToArray();
    }
}
