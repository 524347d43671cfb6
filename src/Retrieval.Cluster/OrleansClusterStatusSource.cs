namespace Retrieval.Cluster;

/// <summary>
/// Cluster status from Orleans' membership table (through the clustering provider, so it is what every silo agrees
/// on, not one node's guess): every incarnation with its state, as the failure detector last wrote it.
/// </summary>
internal sealed class OrleansClusterStatusSource(
    IMembershipTable membership, ILocalSiloDetails self, ClusterModeOptions options, Shards.ReplicaPlacementReader? replicas = null) : IClusterStatusSource
{
    public async Task<ClusterStatus> ReadAsync(CancellationToken cancellationToken)
    {
        var table = await membership.ReadAllAsync(cancellationToken);
        var nodes = table.Members
            .Select(member => ToStatus(member.Item1))
            .OrderBy(node => node.State == ClusterNodeState.Dead)
            .ThenBy(node => node.State == ClusterNodeState.Dead ? -node.StartedAt.Ticks : 0)
            .ThenBy(node => node.Address, StringComparer.Ordinal)
            .ThenBy(node => node.SiloPort)
            .ToList();
        return new ClusterStatus(true, options.ClusterId, nodes)
        {
            Replicas = replicas is null ? [] : await replicas.ReadAsync(cancellationToken),
        };
    }

    private ClusterNodeStatus ToStatus(MembershipEntry entry) => new(
        entry.SiloAddress.Endpoint.Address.ToString(),
        entry.SiloAddress.Endpoint.Port,
        entry.ProxyPort,
        entry.SiloAddress.Generation,
        entry.SiloName ?? "",
        entry.HostName ?? "",
        ToState(entry.Status),
        DateTime.SpecifyKind(entry.StartTime, DateTimeKind.Utc),
        DateTime.SpecifyKind(entry.IAmAliveTime, DateTimeKind.Utc),
        entry.SiloAddress.Equals(self.SiloAddress));

    private static ClusterNodeState ToState(SiloStatus status) => status switch
    {
        SiloStatus.Active => ClusterNodeState.Active,
        SiloStatus.ShuttingDown or SiloStatus.Stopping => ClusterNodeState.ShuttingDown,
        SiloStatus.Dead => ClusterNodeState.Dead,
        _ => ClusterNodeState.Joining,
    };
}
