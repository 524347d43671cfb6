namespace Retrieval.Cluster;

/// <summary>Reads the cluster's membership for cluster status.</summary>
public interface IClusterStatusSource
{
    Task<ClusterStatus> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>Cluster mode off: there is no membership to read.</summary>
internal sealed class SingleNodeStatusSource : IClusterStatusSource
{
    public Task<ClusterStatus> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(ClusterStatus.Off);
}
