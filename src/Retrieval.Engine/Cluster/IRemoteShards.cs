namespace Retrieval.Engine.Cluster;

/// <summary>
/// Where a collection's shards are served when they do not all live in this engine (cluster mode with
/// <c>Retrieval:Cluster:ShardPlacement=Grains</c>): every shard has <c>replicas</c> copies spread over the nodes, and
/// the engine reaches them only through this seam, so it never names the runtime that hosts them. Absent (null) on a
/// single node and in the replicated placement, where this engine holds every shard and nothing changes.
/// </summary>
public interface IRemoteShards
{
    /// <summary>The nodes serving shards now: the most replicas a collection may ask for.</summary>
    int NodeCount { get; }

    /// <summary>
    /// Asks one replica of each shard in <paramref name="requests"/> (one request per shard), the local one first and
    /// another when it fails; a shard none of whose replicas answers by the deadline is listed missing. When
    /// <paramref name="allowPartial"/> is false and a shard is missing, throws UNAVAILABLE naming the shards.
    /// </summary>
    Task<RemoteShardAnswers> SearchAsync(string collection, int replicas, IReadOnlyList<ShardSearchRequest> requests, bool allowPartial, CancellationToken cancellationToken);

    /// <summary>
    /// A batch of <paramref name="collection"/> committed as <paramref name="sequence"/>, touching
    /// <paramref name="shards"/>: every replica of those shards should apply it (each catches up from the store in
    /// sequence order). Returns without waiting; a replica that misses it catches up at its next search.
    /// </summary>
    void Committed(string collection, int replicas, long sequence, IReadOnlyCollection<int> shards);
}

/// <summary>The answers of a fan-out: one response per asked shard (by shard number), and the shards that did not answer.</summary>
public sealed record RemoteShardAnswers(IReadOnlyDictionary<int, ShardSearchResponse> Responses, IReadOnlyList<int> MissingShards);
