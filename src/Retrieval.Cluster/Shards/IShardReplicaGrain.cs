namespace Retrieval.Cluster.Shards;

/// <summary>
/// One replica of one shard of a collection, keyed <c>"{collection}/{shard}/{replica}"</c> (<see cref="ShardReplicaKey"/>):
/// it holds the shard's items and indexes in memory on the node the placement chose (<see cref="ReplicaSpreadPlacement"/>),
/// loaded from the shard's snapshot and the store's later changes when it activates.
/// </summary>
public interface IShardReplicaGrain : IGrainWithStringKey
{
    /// <summary>Answers a fan-out's request for this shard (<c>ShardSearchCodec</c> bytes both ways).</summary>
    Task<byte[]> SearchAsync(byte[] request);

    /// <summary>Applies the store's changes of this shard through at least <paramref name="sequence"/>.</summary>
    Task CatchUpAsync(long sequence);

    /// <summary>Where the replica lives and what it holds.</summary>
    Task<ShardReplicaStatus> GetStatusAsync();
}

/// <summary>A replica's place and content, for cluster status.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardReplicaStatus(
    [property: Id(0)] string Node,
    [property: Id(1)] string Address,
    [property: Id(2)] long Items,
    [property: Id(3)] long AppliedSequence);

/// <summary>The grain key of a shard replica: <c>"{collection}/{shard}/{replica}"</c> (collection names hold no '/').</summary>
public readonly record struct ShardReplicaKey(string Collection, int Shard, int Replica)
{
    public override string ToString() => $"{Collection}/{Shard}/{Replica}";

    /// <summary>The shard's part of the key (the same for every replica of it): what placement ranks nodes by.</summary>
    public string ShardKey => $"{Collection}/{Shard}";

    public static ShardReplicaKey Parse(string key)
    {
        var parts = key.Split('/');
        return parts.Length == 3
            && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var shard) && shard >= 0
            && int.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var replica) && replica >= 0
            && parts[0].Length > 0
            ? new ShardReplicaKey(parts[0], shard, replica)
            : throw new FormatException($"'{key}' is not a shard replica key (collection/shard/replica)");
    }
}
