using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Retrieval.Cluster;
using Retrieval.Contracts.V1;
using Retrieval.Core.Storage;
using ClusterStatus = Retrieval.Contracts.V1.ClusterStatus;

namespace Retrieval.Server.Grpc;

/// <summary>
/// Cluster status: the nodes as the cluster's membership records them and the backfill leases, or cluster mode off;
/// with shard replicas, where each (shard, replica) lives and what it holds.
/// </summary>
[BindServiceMethod(typeof(GuardedServiceBinding.ForCluster), nameof(GuardedServiceBinding.ForCluster.BindService))]
internal sealed class ClusterService(IClusterStatusSource status, IRetrievalStore store) : Contracts.V1.Cluster.ClusterBase
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

        // Backfill leases are a cluster's (the shared store keeps them); a single node runs its backfills without one.
        if (current.Enabled && store is IBackfillLeaseStore leases)
        {
            reply.BackfillLeases.AddRange((await leases.ListBackfillLeasesAsync(context.CancellationToken)).Select(held => new BackfillLeaseStatus
            {
                Collection = held.Lease.Collection,
                MigrationId = held.Lease.MigrationId,
                Holder = held.Lease.Holder,
                Epoch = held.Lease.Epoch,
                TakenAt = Timestamp.FromDateTimeOffset(held.Lease.TakenAt),
                ExpiresAt = Timestamp.FromDateTimeOffset(held.Lease.ExpiresAt),
                Expired = held.Expired,
            }));
        }

        return reply;
    }
}
