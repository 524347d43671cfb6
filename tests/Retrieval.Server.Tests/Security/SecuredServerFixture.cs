using System.Net.Http.Headers;
using Grpc.Core;
using Grpc.Net.Client;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Security;

/// <summary>
/// A server with authentication on (SQLite), its bootstrap admin key, and one key of each kind the security tests need,
/// created through the Keys API. Logs go to a file as well, so tests can search them for secrets and audit events.
/// </summary>
public class SecuredServerFixture : IAsyncLifetime
{
    public const string Victim = "victim";
    public const string Other = "other-1";

    private readonly List<string> _secrets = [];
    private readonly List<HttpClient> _clients = [];
    private ServerConfiguration? _configuration;

    public InProcessServer Server { get; private set; } = null!;

    public string Admin { get; private set; } = "";

    public string Read { get; private set; } = "";

    public string Write { get; private set; } = "";

    /// <summary>An admin key limited to <c>other*</c>: everything it does on <see cref="Victim"/> must be refused.</summary>
    public string OtherAdmin { get; private set; } = "";

    public string Expired { get; private set; } = "";

    public string Revoked { get; private set; } = "";

    /// <summary>Well-formed but never issued.</summary>
    public string Unknown { get; } = "rtv_0123456789ab_" + new string('A', 43);

    /// <summary>Every secret the server handed out (the test of the logs looks for each).</summary>
    public IReadOnlyList<string> Secrets => _secrets;

    public ServerConfiguration Configuration => _configuration!;

    /// <summary>The channel the fixture's own calls use (the server's, unless a derived fixture needs TLS).</summary>
    public GrpcChannel Channel { get; private set; } = null!;

    public string LogFile => Path.Combine(Configuration.DataDirectory, "server.log");

    protected virtual GrpcChannel CreateSetupChannel() => Server.Channel;

    /// <summary>Settings a derived fixture adds (limits, TLS).</summary>
    protected virtual void Configure(ServerConfiguration configuration)
    {
    }

    public async Task InitializeAsync()
    {
        _configuration = new ServerConfiguration("sqlite", null);
        var extra = _configuration.Extra;
        extra["Retrieval:Auth:Mode"] = "enabled";
        extra["Retrieval:Auth:BootstrapKeyFile"] = Path.Combine(_configuration.DataDirectory, "admin.key");
        extra["Serilog:MinimumLevel:Default"] = "Information";
        extra["Serilog:MinimumLevel:Override:Microsoft"] = "Warning";
        extra["Serilog:MinimumLevel:Override:Grpc"] = "Warning";
        extra["Serilog:WriteTo:0:Name"] = "File";
        extra["Serilog:WriteTo:0:Args:path"] = LogFile;
        Configure(_configuration);
        Server = await InProcessServer.StartAsync(_configuration);
        Channel = CreateSetupChannel();

        Admin = (await File.ReadAllTextAsync(Path.Combine(_configuration.DataDirectory, "admin.key"))).Trim();
        _secrets.Add(Admin);
        Read = await CreateKeyAsync("reader", KeyScope.Read, []);
        Write = await CreateKeyAsync("writer", KeyScope.Write, []);
        OtherAdmin = await CreateKeyAsync("other-admin", KeyScope.Admin, ["other*"]);
        Expired = await CreateKeyAsync("short-lived", KeyScope.Admin, [], expiresInSeconds: 1);
        Revoked = await CreateKeyAsync("revoked", KeyScope.Admin, []);
        var revokedId = Revoked.Substring(4, 12);
        await PatientlyAsync(() => new Keys.KeysClient(Channel).RevokeKeyAsync(new RevokeKeyRequest { Id = revokedId }, Auth(Admin)).ResponseAsync);

        foreach (var name in new[] { Victim, Other })
        {
            await PatientlyAsync(() => new Collections.CollectionsClient(Channel).CreateCollectionAsync(new CreateCollectionRequest
            {
                Name = name,
                Spaces = { new Space { Name = "v1", Dimension = 4, Metric = Metric.Cosine, Model = new ModelRef { Name = "test", Version = "1" } } },
            }, Auth(Admin)).ResponseAsync);
            var upsert = new UpsertItemsRequest { Collection = name };
            for (var i = 0; i < 3; i++)
            {
                upsert.Items.Add(new Item { Id = $"item-{i}", Vectors = { ["v1"] = new Vector { Values = { 1, i, 0, 0 } } } });
            }

            await PatientlyAsync(() => new Items.ItemsClient(Channel).UpsertItemsAsync(upsert, Auth(Admin)).ResponseAsync);
        }

        // Let the short-lived key run out.
        await Task.Delay(TimeSpan.FromSeconds(1.2));
    }

    /// <summary>Call headers presenting <paramref name="key"/> (none when null).</summary>
    public static Metadata Auth(string? key) => key is null ? [] : new Metadata { { "authorization", $"Bearer {key}" } };

    /// <summary>A REST client presenting <paramref name="key"/> as a bearer token (none when null).</summary>
    public HttpClient Rest(string? key)
    {
        var client = new HttpClient { BaseAddress = Server.Configuration.RestAddress };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        _clients.Add(client);
        return client;
    }

    /// <summary>The server's log so far (the file sink writes each event through).</summary>
    public async Task<string> ReadLogAsync()
    {
        await using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    public async Task<string> CreateKeyAsync(string name, KeyScope scope, string[] collections, long expiresInSeconds = 0)
    {
        var created = await PatientlyAsync(() => new Keys.KeysClient(Channel).CreateKeyAsync(
            new CreateKeyRequest { Name = name, Scope = scope, Collections = { collections }, ExpiresInSeconds = expiresInSeconds }, Auth(Admin)).ResponseAsync);
        _secrets.Add(created.Secret);
        return created.Secret;
    }

    /// <summary>Retries a setup call refused by a rate limit (derived fixtures configure tight ones).</summary>
    private static async Task<T> PatientlyAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted && attempt < 50)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>Records a secret handed out by a test (rotation), so the log test looks for it too.</summary>
    public void RememberSecret(string secret) => _secrets.Add(secret);

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await Server.DisposeAsync();
        if (Directory.Exists(Configuration.DataDirectory))
        {
            Directory.Delete(Configuration.DataDirectory, recursive: true);
        }
    }
}
