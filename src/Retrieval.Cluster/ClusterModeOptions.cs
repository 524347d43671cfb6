namespace Retrieval.Cluster;

/// <summary>
/// Cluster mode, bound from <c>Retrieval:Cluster</c> (environment: <c>Retrieval__Cluster__*</c>). Off by default: then
/// no Orleans silo is hosted at all and the server runs as one node. On, every server process is an Orleans silo whose
/// membership lives in the PostgreSQL store of record (docs/operations.md, "Cluster mode").
/// </summary>
public sealed class ClusterModeOptions
{
    public const string SectionName = "Retrieval:Cluster";

    /// <summary>Configuration section of Orleans' own membership settings (<c>ClusterMembershipOptions</c>, by their Orleans names).</summary>
    public const string MembershipSectionName = "Retrieval:Cluster:Membership";

    /// <summary>Run this server as a node of a cluster. Needs <c>Retrieval:Store=postgres</c>. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The cluster this node joins (Orleans' cluster id): nodes with the same id over the same database form one
    /// cluster. Default <c>retrieval</c>.
    /// </summary>
    public string ClusterId { get; set; } = "retrieval";

    /// <summary>
    /// The service's id (Orleans' service id), stable across deployments of the same service. Default <c>retrieval</c>.
    /// </summary>
    public string ServiceId { get; set; } = "retrieval";

    /// <summary>TCP port of silo-to-silo traffic, on every address of the host. Default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>
    /// TCP port of the Orleans client gateway (Orleans' conventional port is 30000). Default 0: none is opened, since
    /// Retrieval's clients speak gRPC/REST to any node and an open gateway would take unauthenticated grain calls.
    /// </summary>
    public int GatewayPort { get; set; }

    /// <summary>
    /// The IP address (or a host name resolving to one) other nodes reach this node at, written to the membership
    /// table. Default: the host's first non-loopback address (set it where that is not the one peers route to, for
    /// example the pod IP in Kubernetes, or 127.0.0.1 for nodes on one machine).
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>This node's name in cluster status. Default <c>{machine name}-{SiloPort}</c>.</summary>
    public string? NodeName { get; set; }

    /// <summary>
    /// Where shards live: <c>Replicated</c> (every node holds every shard; the default) or <c>Grains</c> (each shard's
    /// <c>replicas</c> copies are grains on different nodes and searches fan out to them). Every node of a cluster
    /// must use the same placement.
    /// </summary>
    public Shards.ShardPlacement ShardPlacement { get; set; } = Shards.ShardPlacement.Replicated;

    /// <summary>
    /// Grains placement: how long a search waits for a shard none of whose replicas answers (a node died and its
    /// replicas are loading elsewhere) before it fails UNAVAILABLE naming the shard, or, with <c>allowPartial</c>,
    /// answers without it. Default 10000.
    /// </summary>
    public int ShardDeadlineMilliseconds { get; set; } = 10_000;

    /// <summary>
    /// Grains placement: how long one call to one replica may take before the search asks another replica of the
    /// shard (the first keeps loading or answering meanwhile). Must be below <see cref="ShardDeadlineMilliseconds"/>.
    /// Default 2000.
    /// </summary>
    public int ReplicaCallTimeoutMilliseconds { get; set; } = 2_000;

    /// <summary>
    /// Grains placement: how often each replica checks that it sits on the node its shard's ranking names now (a
    /// node joined, or came back), and moves there if not (it deactivates; the next call loads it on that node). Also
    /// how often a replica of a deleted collection is released. Default 30000; 0 turns the move off.
    /// </summary>
    public int RebalanceIntervalMilliseconds { get; set; } = 30_000;

    /// <summary>The name this node goes by, <see cref="NodeName"/> or its default.</summary>
    public string EffectiveNodeName => string.IsNullOrWhiteSpace(NodeName) ? $"{Environment.MachineName}-{SiloPort}" : NodeName;

    /// <summary>Why these settings cannot run a node (naming the setting), or null when they can.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            return $"{SectionName}:ClusterId must not be empty";
        }

        if (string.IsNullOrWhiteSpace(ServiceId))
        {
            return $"{SectionName}:ServiceId must not be empty";
        }

        if (SiloPort is < 1 or > 65535)
        {
            return $"{SectionName}:SiloPort must be a TCP port (1-65535), got {SiloPort}";
        }

        if (GatewayPort is < 0 or > 65535)
        {
            return $"{SectionName}:GatewayPort must be a TCP port (1-65535) or 0 for no gateway, got {GatewayPort}";
        }

        if (!Enum.IsDefined(ShardPlacement))
        {
            return $"{SectionName}:ShardPlacement must be Replicated or Grains, got {ShardPlacement}";
        }

        if (ShardDeadlineMilliseconds < 1)
        {
            return $"{SectionName}:ShardDeadlineMilliseconds must be positive, got {ShardDeadlineMilliseconds}";
        }

        if (ReplicaCallTimeoutMilliseconds < 1)
        {
            return $"{SectionName}:ReplicaCallTimeoutMilliseconds must be positive, got {ReplicaCallTimeoutMilliseconds}";
        }

        if (ShardPlacement == Shards.ShardPlacement.Grains && ReplicaCallTimeoutMilliseconds >= ShardDeadlineMilliseconds)
        {
            // Otherwise the first replica's call uses up the whole deadline and no other replica is ever asked.
            return $"{SectionName}:ReplicaCallTimeoutMilliseconds ({ReplicaCallTimeoutMilliseconds}) must be below " +
                $"{SectionName}:ShardDeadlineMilliseconds ({ShardDeadlineMilliseconds}), so that a search has time to ask another replica of a shard";
        }

        if (RebalanceIntervalMilliseconds < 0)
        {
            return $"{SectionName}:RebalanceIntervalMilliseconds must be 0 (off) or positive, got {RebalanceIntervalMilliseconds}";
        }

        if (GatewayPort == SiloPort)
        {
            return $"{SectionName}:GatewayPort and SiloPort must differ (both {SiloPort})";
        }

        return null;
    }
}
