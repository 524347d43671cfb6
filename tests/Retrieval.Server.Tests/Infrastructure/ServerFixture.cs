namespace Retrieval.Server.Tests.Infrastructure;

/// <summary>One server per test class, on the store the derived fixture names.</summary>
public abstract class ServerFixture : IAsyncLifetime
{
    private InProcessServer? _server;

    public InProcessServer Server => _server ?? throw new InvalidOperationException("server not started");

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync(await CreateConfigurationAsync());

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        await CleanUpAsync();
    }

    public abstract Task<ServerConfiguration> CreateConfigurationAsync();

    protected virtual Task CleanUpAsync() => Task.CompletedTask;
}

public sealed class SqliteServerFixture : ServerFixture
{
    private ServerConfiguration? _configuration;

    public override Task<ServerConfiguration> CreateConfigurationAsync()
    {
        _configuration = new ServerConfiguration("sqlite", null);
        return Task.FromResult(_configuration);
    }

    protected override Task CleanUpAsync()
    {
        if (_configuration is not null && Directory.Exists(_configuration.DataDirectory))
        {
            Directory.Delete(_configuration.DataDirectory, recursive: true);
        }

        return Task.CompletedTask;
    }
}
