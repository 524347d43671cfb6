namespace Retrieval.Engine.Replication;

/// <summary>
/// How a cluster node follows the shared store of record (bound from <c>Retrieval:Cluster:Follow</c>): notices wake it
/// at once; the poll is the safety net for notices lost with a dropped connection.
/// </summary>
public sealed class StoreFollowOptions
{
    /// <summary>Milliseconds between two polls of the store's versions. Default 1000: the bound on a missed notice.</summary>
    public int PollIntervalMilliseconds { get; set; } = 1000;

    /// <summary>Listen for the store's change notices. Default true; false leaves the poll alone (measurements).</summary>
    public bool Listen { get; set; } = true;

    /// <summary>Milliseconds before listening again after the notice connection dropped. Default 1000.</summary>
    public int ListenRetryMilliseconds { get; set; } = 1000;

    /// <summary>
    /// Milliseconds a request naming a collection or alias this node does not know waits for the catalog to be read
    /// again before it is answered NOT_FOUND. Default 5000.
    /// </summary>
    public int MissRefreshMilliseconds { get; set; } = 5000;

    /// <summary>Most item changes applied under one hold of a collection's write lock while catching up. Default 4096.</summary>
    public int ApplyChunk { get; set; } = 4096;

    /// <summary>Why these settings cannot work (naming the setting), or null.</summary>
    public string? Problem() =>
        PollIntervalMilliseconds <= 0 ? "Retrieval:Cluster:Follow:PollIntervalMilliseconds must be positive"
        : ListenRetryMilliseconds <= 0 ? "Retrieval:Cluster:Follow:ListenRetryMilliseconds must be positive"
        : MissRefreshMilliseconds < 0 ? "Retrieval:Cluster:Follow:MissRefreshMilliseconds must not be negative"
        : ApplyChunk <= 0 ? "Retrieval:Cluster:Follow:ApplyChunk must be positive"
        : null;
}
