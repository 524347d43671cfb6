namespace Retrieval.Cluster.Shards;

/// <summary>Where shards live in a cluster, bound from <c>Retrieval:Cluster:ShardPlacement</c>.</summary>
public enum ShardPlacement
{
    /// <summary>Every node holds every shard of every collection and follows the store (the default).</summary>
    Replicated,

    /// <summary>
    /// Each shard has <c>replicas</c> copies, each an Orleans grain placed on its own node; searches fan out to one
    /// replica of every shard. Nodes still keep their whole collections for writes and reads (docs/architecture.md).
    /// </summary>
    Grains,
}
