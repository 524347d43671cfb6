namespace Retrieval.Cluster;

/// <summary>One node incarnation as the cluster's membership records it (a restart is a new incarnation).</summary>
/// <param name="Address">The advertised IP address.</param>
/// <param name="SiloPort">Silo-to-silo port.</param>
/// <param name="GatewayPort">Orleans client gateway port (0: none).</param>
/// <param name="Generation">Distinguishes incarnations on the same address and port.</param>
/// <param name="Name">The node's name (<see cref="ClusterModeOptions.NodeName"/>).</param>
/// <param name="HostName">The machine it runs on.</param>
/// <param name="State">Its membership state.</param>
/// <param name="StartedAt">When the incarnation started (UTC).</param>
/// <param name="LastHeartbeatAt">Its last "I am alive" write to the membership table (UTC).</param>
/// <param name="IsSelf">The node that answered.</param>
public sealed record ClusterNodeStatus(
    string Address,
    int SiloPort,
    int GatewayPort,
    int Generation,
    string Name,
    string HostName,
    ClusterNodeState State,
    DateTime StartedAt,
    DateTime LastHeartbeatAt,
    bool IsSelf);

/// <summary>A node's membership state; names follow Orleans' silo status.</summary>
public enum ClusterNodeState
{
    /// <summary>Starting: registered, not yet serving cluster traffic.</summary>
    Joining,

    /// <summary>A live member.</summary>
    Active,

    /// <summary>Leaving in order (SIGTERM).</summary>
    ShuttingDown,

    /// <summary>Declared dead by its peers (missed probes), or left.</summary>
    Dead,
}

/// <summary>What cluster status answers: whether cluster mode is on, and the nodes as membership records them.</summary>
/// <param name="Enabled">Cluster mode is on (<c>Retrieval:Cluster:Enabled</c>).</param>
/// <param name="ClusterId">The cluster's id (empty when off).</param>
/// <param name="Nodes">Live nodes first (by address and port), then the dead, newest first.</param>
public sealed record ClusterStatus(bool Enabled, string ClusterId, IReadOnlyList<ClusterNodeStatus> Nodes)
{
    /// <summary>
    /// Grains placement: every (shard, replica) of every collection, where it lives and what it holds; empty in the
    /// replicated placement, where every node holds every shard.
    /// </summary>
    public IReadOnlyList<ShardReplicaPlacement> Replicas { get; init; } = [];

    /// <summary>Cluster mode off: this server is the only node and has no cluster membership.</summary>
    public static ClusterStatus Off { get; } = new(false, "", []);
}

/// <summary>One replica of one shard as cluster status shows it.</summary>
/// <param name="Collection">The collection.</param>
/// <param name="Shard">The shard's number.</param>
/// <param name="Replica">The replica's number, 0 to replicas − 1.</param>
/// <param name="Node">The name of the node it lives on; empty when it did not answer.</param>
/// <param name="Items">Live items it holds.</param>
/// <param name="AppliedSequence">The store's sequence through which it has applied its shard's changes.</param>
/// <param name="Error">Why it did not answer (then the other fields are empty); null when it did.</param>
/// <param name="Loaded">False when it is active on no node (then the other fields are empty and <paramref name="Error"/> null).</param>
public sealed record ShardReplicaPlacement(string Collection, int Shard, int Replica, string Node, long Items, long AppliedSequence, string? Error, bool Loaded = true);
