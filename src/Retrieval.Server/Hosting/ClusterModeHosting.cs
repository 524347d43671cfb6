using Microsoft.Extensions.Options;
using Retrieval.Cluster;
using Retrieval.Core.Storage;
using Retrieval.Engine.Replication;
using Retrieval.Storage.Postgres;

namespace Retrieval.Server.Hosting;

/// <summary>
/// Reads <c>Retrieval:Cluster</c> and hosts this server as a cluster node, or as a single node with no Orleans at all.
/// </summary>
internal static class ClusterModeHosting
{
    public static WebApplicationBuilder AddRetrievalClusterMode(this WebApplicationBuilder builder, RetrievalServerOptions serverOptions)
    {
        var options = builder.Configuration.GetSection(ClusterModeOptions.SectionName).Get<ClusterModeOptions>() ?? new();
        // The store of record is the cluster's shared log and its membership table: an embedded SQLite file is
        // neither shared nor reachable from other nodes, so refuse before anything starts.
        if (options.Enabled && !string.Equals(serverOptions.Store, "postgres", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"{ClusterModeOptions.SectionName}:Enabled is true but Retrieval:Store is '{serverOptions.Store}': cluster mode needs " +
                "Retrieval:Store=postgres (the nodes share the store of record and keep their membership in it) and ConnectionStrings:Postgres");
        }

        // Following first: a bad Follow setting is refused before any Orleans assembly loads.
        if (options.Enabled)
        {
            builder.AddStoreFollowing();
        }

        builder.AddClusterMode(options, builder.Configuration.GetConnectionString("Postgres"));
        AddBackfillRunnerGate(builder.Services, options);
        return builder;
    }

    /// <summary>The setting that makes this server a cluster node.</summary>
    public const string ClusterEnabledKey = ClusterModeOptions.SectionName + ":Enabled";

    /// <summary>Retrieval:Cluster:Follow, bound as documented (docs/operations.md, "Cluster mode").</summary>
    public const string FollowSectionName = ClusterModeOptions.SectionName + ":Follow";

    /// <summary>
    /// A node follows the shared store: the engine is given the PostgreSQL change feed (and the store sends item
    /// notices, see <see cref="StoreFactory"/>), so that what another node commits is applied here within a bound.
    /// </summary>
    private static void AddStoreFollowing(this WebApplicationBuilder builder)
    {
        var follow = builder.Configuration.GetSection(FollowSectionName).Get<StoreFollowOptions>() ?? new();
        if (follow.Problem() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        var connectionString = builder.Configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return; // AddClusterMode refuses to start, naming ConnectionStrings:Postgres
        }

        builder.Services.AddSingleton(follow);
        builder.Services.AddSingleton<IStoreChangeFeed>(_ => new PostgresChangeFeed(connectionString));
    }

    /// <summary>One backfill runner per migration: cluster-wide by lease on a node, no lease work at all on a single node.</summary>
    private static void AddBackfillRunnerGate(IServiceCollection services, ClusterModeOptions options)
    {
        if (!options.Enabled)
        {
            services.AddSingleton<IBackfillRunnerGate, SingleNodeBackfillGate>();
            return;
        }

        services.AddSingleton<IBackfillRunnerGate>(sp => new BackfillLeaseGate(
            sp.GetRequiredService<IRetrievalStore>() as IBackfillLeaseStore
                ?? throw new InvalidOperationException("cluster mode needs a store that keeps backfill leases (Retrieval:Store=postgres)"),
            options.EffectiveNodeName,
            sp.GetRequiredService<IOptions<BackfillWorkerOptions>>().Value,
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<ILogger<BackfillLeaseGate>>()));
    }
}
