using Retrieval.Core.Errors;

namespace Retrieval.Cluster.Shards;

/// <summary>
/// A shard replica's <see cref="RetrievalException"/> on its way back to the node that asked: Orleans carries only
/// exceptions it has a serializer for (others arrive as a fallback without their kind), and the asking node needs the
/// kind to tell a request no replica can answer (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION: fail at once) from
/// a replica that cannot answer now (ask another).
/// </summary>
[GenerateSerializer]
public sealed class ShardReplicaRefusedException : Exception
{
    public ShardReplicaRefusedException(ErrorKind kind, string reason)
        : base(reason)
    {
        Kind = kind;
        Reason = reason;
    }

    /// <summary>The replica's error kind.</summary>
    [Id(0)]
    public ErrorKind Kind { get; }

    /// <summary>The replica's message (with the field, when one is at fault).</summary>
    [Id(1)]
    public string Reason { get; }

    /// <summary>Whether another replica would refuse the same request the same way (so asking on is pointless).</summary>
    public bool Final => Kind is ErrorKind.InvalidArgument or ErrorKind.NotFound or ErrorKind.FailedPrecondition;
}
