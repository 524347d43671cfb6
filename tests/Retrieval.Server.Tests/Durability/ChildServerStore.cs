using Retrieval.Storage.Postgres;
using Retrieval.Testing;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Durability;

/// <summary>
/// The store of record a child server process runs on in a durability test: a temporary SQLite data directory, or a
/// fresh migrated PostgreSQL database. Disposing it removes the database and the data directory.
/// </summary>
public sealed class ChildServerStore : IAsyncDisposable
{
    private readonly TestDatabase? _database;

    private ChildServerStore(ServerConfiguration configuration, TestDatabase? database)
    {
        Configuration = configuration;
        _database = database;
    }

    public ServerConfiguration Configuration { get; }

    public static Task<ChildServerStore> SqliteAsync() => Task.FromResult(new ChildServerStore(new ServerConfiguration("sqlite", null), null));

    public static async Task<ChildServerStore> PostgresAsync()
    {
        var database = await TestDatabase.CreateAsync(CancellationToken.None);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, CancellationToken.None);
        return new ChildServerStore(new ServerConfiguration("postgres", database.ConnectionString), database);
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        if (Directory.Exists(Configuration.DataDirectory))
        {
            Directory.Delete(Configuration.DataDirectory, recursive: true);
        }
    }
}
