namespace Retrieval.Engine.Indexes;

/// <summary>Where shard snapshots are kept (<see cref="IndexingOptions.SnapshotLocation"/>).</summary>
public enum SnapshotLocation
{
    /// <summary>Files in <see cref="IndexingOptions.SnapshotDirectory"/>, local to the node.</summary>
    Directory,

    /// <summary>In the store of record (PostgreSQL), shared by every node of a cluster.</summary>
    Store,
}
