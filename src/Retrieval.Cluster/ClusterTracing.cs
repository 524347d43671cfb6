namespace Retrieval.Cluster;

/// <summary>What a tracer subscribes to for a cluster node's own spans.</summary>
public static class ClusterTracing
{
    /// <summary>
    /// Every Orleans activity source (grain calls, activation, membership). A constant, so naming it does not load
    /// Orleans in single-node mode.
    /// </summary>
    public const string OrleansActivitySources = Orleans.Diagnostics.ActivitySources.AllActivitySourceName;
}
