using Microsoft.Extensions.Options;
using Retrieval.Core.Storage;
using Retrieval.Storage.Postgres;
using Retrieval.Storage.Sqlite;

namespace Retrieval.Server.Hosting;

/// <summary>Creates the configured store of record.</summary>
internal static partial class StoreFactory
{
    public static IRetrievalStore Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<RetrievalServerOptions>>().Value;
        var configuration = services.GetRequiredService<IConfiguration>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StoreFactory));
        switch (options.Store.ToUpperInvariant())
        {
            case "SQLITE":
                var directory = Path.GetFullPath(options.DataDirectory);
                LogSqlite(logger, directory);
                return new SqliteRetrievalStore(directory);
            case "POSTGRES":
                var connectionString = configuration.GetConnectionString("Postgres");
                if (string.IsNullOrWhiteSpace(connectionString))
                {
                    throw new InvalidOperationException("Retrieval:Store is 'postgres' but ConnectionStrings:Postgres is empty");
                }

                if (options.Postgres.MigrateOnStart)
                {
                    LogUpgradingSchema(logger);
                    PostgresSchema.UpgradeAsync(connectionString, CancellationToken.None).GetAwaiter().GetResult();
                }

                // A cluster node's batches also notify the other nodes, which follow the store (ClusterModeHosting).
                return new PostgresRetrievalStore(connectionString)
                {
                    NotifyWrites = configuration.GetValue<bool>(ClusterModeHosting.ClusterEnabledKey),
                };
            default:
                throw new InvalidOperationException($"Retrieval:Store must be 'sqlite' or 'postgres', got '{options.Store}'");
        }
    }

    [LoggerMessage(2010, LogLevel.Information, "Store of record: embedded SQLite in {Directory}")]
    private static partial void LogSqlite(ILogger logger, string directory);

    [LoggerMessage(2011, LogLevel.Warning, "Retrieval:Postgres:MigrateOnStart is set: applying pending PostgreSQL schema upgrades")]
    private static partial void LogUpgradingSchema(ILogger logger);
}
