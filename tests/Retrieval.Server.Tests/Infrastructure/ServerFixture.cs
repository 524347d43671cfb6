using Retrieval.Storage.Postgres;
using Retrieval.Testing;

using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Infrastructure;

/// <summary>
/// One server per test class, on the store the derived fixture names. A fixture whose store is unavailable
/// (PostgreSQL without <c>RETRIEVAL_TEST_POSTGRES</c> outside CI) starts nothing and its tests skip.
/// </summary>
public abstract class ServerFixture : IAsyncLifetime
{
    private InProcessServer? _server;

    /// <summary>The running server; skips the calling [SkippableFact] test when the store is unavailable.</summary>
    public InProcessServer Server
    {
        get
        {
            Skip.If(SkipReason is not null, SkipReason);
            return _server ?? throw new InvalidOperationException("server not started");
        }
    }

    protected virtual string? SkipReason => null;

    public async Task InitializeAsync()
    {
        if (SkipReason is null)
        {
            _server = await InProcessServer.StartAsync(await CreateConfigurationAsync());
        }
    }

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

public sealed class PostgresServerFixture : ServerFixture
{
    private TestDatabase? _database;

    protected override string? SkipReason => PostgresTestEnvironment.SkipReason;

    public override async Task<ServerConfiguration> CreateConfigurationAsync()
    {
        _database = await TestDatabase.CreateAsync(CancellationToken.None);
        await PostgresSchema.UpgradeAsync(_database.ConnectionString, CancellationToken.None);
        return new ServerConfiguration("postgres", _database.ConnectionString);
    }

    protected override async Task CleanUpAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
