using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Retrieval.Cluster;
using Retrieval.Contracts.V1;
using ClusterStatus = Retrieval.Contracts.V1.ClusterStatus;

namespace Retrieval.Server.Grpc;

/// <summary>
/// Cluster status: the nodes as the cluster's membership records them, or cluster mode off; with shard replicas,
/// where each (shard, replica) lives and what it holds.
/// </summary>
[BindServiceMethod(typeof(GuardedServiceBinding.ForCluster), nameof(GuardedServiceBinding.ForCluster.BindService))]
internal sealed class ClusterService(IClusterStatusSource status) : Contracts.V1.Cluster.ClusterBase
{
    public override async Task<ClusterStatus> GetClusterStatus(GetClusterStatusRequest request, ServerCallContext context)
    {
        var current = await status.ReadAsync(context.CancellationToken);
        var reply = new ClusterStatus { Enabled = current.Enabled, ClusterId = current.ClusterId };
        reply.Nodes.AddRange(current.Nodes.Select(node => new ClusterNode
        {
            Address = node.Address,
            SiloPort = node.SiloPort,
            GatewayPort = node.GatewayPort,
            Generation = node.Generation,
            Name = node.Name,
            HostName = node.HostName,
            State = node.State switch
            {
                Retrieval.Cluster.ClusterNodeState.Joining => Contracts.V1.ClusterNodeState.Joining,
                Retrieval.Cluster.ClusterNodeState.Active => Contracts.V1.ClusterNodeState.Active,
                Retrieval.Cluster.ClusterNodeState.ShuttingDown => Contracts.V1.ClusterNodeState.ShuttingDown,
                Retrieval.Cluster.ClusterNodeState.Dead => Contracts.V1.ClusterNodeState.Dead,
                _ => throw new ArgumentOutOfRangeException(nameof(node), node.State, "unknown cluster node state"),
            },
            StartedAt = Timestamp.FromDateTime(node.StartedAt),
            LastHeartbeatAt = Timestamp.FromDateTime(node.LastHeartbeatAt),
            Self = node.IsSelf,
        }));
        reply.Replicas.AddRange(current.Replicas.Select(replica => new ShardReplica
        {
            Collection = replica.Collection,
            Shard = replica.Shard,
            Replica = replica.Replica,
            Node = replica.Node,
            ItemCount = replica.Items,
            AppliedSequence = replica.AppliedSequence,
            Error = replica.Error ?? "",
            Loaded = replica.Loaded,
        }));
        return reply;
    }
}
