using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Retrieval.Cluster;

/// <summary>Hosts this process as a cluster node (an Orleans silo), or registers single-node mode at no cost.</summary>
public static class ClusterHosting
{
    /// <summary>The ADO.NET provider name Orleans loads Npgsql's factory by.</summary>
    private const string NpgsqlInvariant = "Npgsql";

    /// <summary>
    /// With <see cref="ClusterModeOptions.Enabled"/> off, registers single-node cluster status and nothing of Orleans.
    /// On, hosts an Orleans silo with its membership in the PostgreSQL database at <paramref name="postgresConnectionString"/>
    /// (whose schema <c>retrieval db migrate</c> created). Throws, naming the setting, when the settings cannot run a node.
    /// </summary>
    public static IHostApplicationBuilder AddClusterMode(this IHostApplicationBuilder builder, ClusterModeOptions options, string? postgresConnectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
        {
            builder.Services.AddSingleton<IClusterStatusSource, SingleNodeStatusSource>();
            return builder;
        }

        if (options.Problem() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        if (string.IsNullOrWhiteSpace(postgresConnectionString))
        {
            throw new InvalidOperationException(
                $"{ClusterModeOptions.SectionName}:Enabled is true but ConnectionStrings:Postgres is empty: the cluster's membership lives in the PostgreSQL store");
        }

        HostSilo(builder, options, postgresConnectionString);
        return builder;
    }

    /// <summary>
    /// Everything that touches Orleans types, in a method of its own: the JIT loads the Orleans assemblies when it
    /// compiles a method that names them, so single-node mode, which never calls this, never loads them.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void HostSilo(IHostApplicationBuilder builder, ClusterModeOptions options, string postgresConnectionString)
    {
        var advertised = ResolveAdvertisedAddress(options);
        var membership = builder.Configuration.GetSection(ClusterModeOptions.MembershipSectionName);
        builder.UseOrleans(silo =>
        {
            silo.UseAdoNetClustering(clustering =>
            {
                clustering.Invariant = NpgsqlInvariant;
                clustering.ConnectionString = postgresConnectionString;
            });
            silo.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = options.ServiceId;
            });
            silo.Configure<SiloOptions>(o => o.SiloName = options.EffectiveNodeName);
            silo.Configure<EndpointOptions>(endpoints =>
            {
                endpoints.AdvertisedIPAddress = advertised;
                endpoints.SiloPort = options.SiloPort;
                endpoints.GatewayPort = options.GatewayPort;
                // Listen on every address of the host: behind NAT or in a pod the advertised one may not be local.
                endpoints.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, options.SiloPort);
                endpoints.GatewayListeningEndpoint = options.GatewayPort == 0 ? null : new IPEndPoint(IPAddress.Any, options.GatewayPort);
            });
            silo.Services.AddOptions<ClusterMembershipOptions>().Bind(membership);
            // A grain call continues the caller's trace (traceparent travels with the message). Orleans starts its
            // spans only while a tracer listens (Retrieval:Tracing), so this costs nothing with tracing off.
            silo.AddActivityPropagation();
            silo.AddPlacementDirector<Shards.ReplicaSpreadPlacement, Shards.ReplicaSpreadPlacementDirector>();
            silo.AddPlacementDirector<Shards.OnNamedSiloPlacement, Shards.OnNamedSiloPlacementDirector>();
            if (options.ShardPlacement != Shards.ShardPlacement.Grains)
            {
                // Only nodes in Grains placement host shard replicas: a node that does not register the grain classes
                // is not in the cluster manifest's list for them, so placement never picks it (its activations would fail).
                silo.Configure<GrainTypeOptions>(types =>
                {
                    types.Classes.Remove(typeof(Shards.ShardReplicaGrain));
                    types.Classes.Remove(typeof(Shards.NodeReadinessGrain));
                });
            }
        });
        builder.Services.AddSingleton<Shards.ReplicaLocator>();
        builder.Services.AddSingleton<Shards.ReadySilos>();
        builder.Services.AddSingleton<Shards.LocalReplicas>();
        if (options.ShardPlacement == Shards.ShardPlacement.Grains)
        {
            // The engine takes the router (searches fan out, commits are passed on); the grains take the engine.
            builder.Services.AddSingleton<Engine.Cluster.IRemoteShards, Shards.GrainShardRouter>();
            builder.Services.AddSingleton<Shards.ReplicaPlacementReader>();
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<IClusterStatusSource, OrleansClusterStatusSource>();
    }

    private static IPAddress ResolveAdvertisedAddress(ClusterModeOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.AdvertisedAddress))
        {
            return FirstNonLoopbackAddress(Dns.GetHostAddresses(Dns.GetHostName()))
                ?? throw new InvalidOperationException(
                    $"{ClusterModeOptions.SectionName}:AdvertisedAddress is not set and the host '{Dns.GetHostName()}' has no non-loopback IPv4 address; set the address peers reach this node at");
        }

        if (IPAddress.TryParse(options.AdvertisedAddress, out var address))
        {
            return address;
        }

        var resolved = Dns.GetHostAddresses(options.AdvertisedAddress);
        return resolved.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            ?? throw new InvalidOperationException(
                $"{ClusterModeOptions.SectionName}:AdvertisedAddress '{options.AdvertisedAddress}' resolves to no IPv4 address");
    }

    private static IPAddress? FirstNonLoopbackAddress(IEnumerable<IPAddress> addresses) =>
        addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
