using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Errors;
using Retrieval.Engine.Cluster;

namespace Retrieval.Cluster.Shards;

/// <summary>
/// The engine's <see cref="IRemoteShards"/> over shard replica grains. A search asks one replica of every shard at
/// once: the one this node hosts first, then the others in the shard's ranking, each call bounded by
/// <see cref="ClusterModeOptions.ReplicaCallTimeoutMilliseconds"/>; when every replica failed it tries again until
/// <see cref="ClusterModeOptions.ShardDeadlineMilliseconds"/> (a dead node's replicas are activated elsewhere on the
/// next call once the membership declared it dead). A shard still without an answer is missing: UNAVAILABLE naming
/// it, or with allowPartial the others' hits and the list. Never silently partial.
/// </summary>
internal sealed partial class GrainShardRouter(
    IGrainFactory grains, IClusterMembershipService membership, ILocalSiloDetails self, ClusterModeOptions options, ILogger<GrainShardRouter> logger)
    : IRemoteShards
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(200);

    public int NodeCount => ActiveSilos().Count;

    public async Task<RemoteShardAnswers> SearchAsync(
        string collection, int replicas, IReadOnlyList<ShardSearchRequest> requests, bool allowPartial, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * options.ShardDeadlineMilliseconds / 1000;
        var asks = new Task<ShardSearchResponse?>[requests.Count];
        for (var i = 0; i < asks.Length; i++)
        {
            asks[i] = AskShardAsync(collection, Math.Max(1, replicas), requests[i], deadline, cancellationToken);
        }

        await Task.WhenAll(asks);
        var responses = new Dictionary<int, ShardSearchResponse>(requests.Count);
        var missing = new List<int>();
        for (var i = 0; i < asks.Length; i++)
        {
            if (asks[i].Result is { } response)
            {
                responses[requests[i].Shard] = response;
            }
            else
            {
                missing.Add(requests[i].Shard);
            }
        }

        if (missing.Count > 0 && !allowPartial)
        {
            throw RetrievalException.Unavailable(
                $"collection '{collection}': no replica of shard{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing)} answered within " +
                $"{options.ShardDeadlineMilliseconds} ms ({ClusterModeOptions.SectionName}:ShardDeadlineMilliseconds); retry, or search with allowPartial " +
                "for the other shards' hits and the list of missing shards");
        }

        return new RemoteShardAnswers(responses, missing);
    }

    public void Committed(string collection, int replicas, long sequence, IReadOnlyCollection<int> shards)
    {
        foreach (var shard in shards)
        {
            for (var replica = 0; replica < Math.Max(1, replicas); replica++)
            {
                _ = NotifyAsync(new ShardReplicaKey(collection, shard, replica), sequence);
            }
        }
    }

    private async Task NotifyAsync(ShardReplicaKey key, long sequence)
    {
        try
        {
            await grains.GetGrain<IShardReplicaGrain>(key.ToString()).CatchUpAsync(sequence)
                .WaitAsync(TimeSpan.FromMilliseconds(options.ShardDeadlineMilliseconds));
        }
        catch (Exception e)
        {
            // Not lost: the replica reads the store through this sequence before its next answer to this node.
            ApplyNoticeFailed(logger, key.ToString(), sequence, e.GetType().Name, e.Message);
        }
    }

    private async Task<ShardSearchResponse?> AskShardAsync(string collection, int replicas, ShardSearchRequest request, long deadline, CancellationToken cancellationToken)
    {
        var bytes = ShardSearchCodec.Write(request);
        var callTimeout = TimeSpan.FromMilliseconds(options.ReplicaCallTimeoutMilliseconds);
        while (true)
        {
            foreach (var key in Order(collection, request.Shard, replicas))
            {
                var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (left <= TimeSpan.Zero)
                {
                    return null;
                }

                try
                {
                    var answer = await grains.GetGrain<IShardReplicaGrain>(key.ToString()).SearchAsync(bytes)
                        .WaitAsync(left < callTimeout ? left : callTimeout, cancellationToken);
                    return ShardSearchCodec.ReadResponse(answer);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    ReplicaFailed(logger, key.ToString(), e.GetType().Name, e.Message);
                }
            }

            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                ShardMissing(logger, collection, request.Shard, options.ShardDeadlineMilliseconds);
                return null;
            }

            await Task.Delay(remaining < RetryPause ? remaining : RetryPause, cancellationToken);
        }
    }

    /// <summary>The shard's replicas in the order to ask them: the one placed on this node first, then by the shard's ranking.</summary>
    private List<ShardReplicaKey> Order(string collection, int shard, int replicas)
    {
        var keys = Enumerable.Range(0, replicas).Select(r => new ShardReplicaKey(collection, shard, r)).ToList();
        var silos = ActiveSilos();
        if (silos.Count == 0)
        {
            return keys;
        }

        var ranked = ReplicaRanking.Rank(keys[0].ShardKey, silos);
        var local = keys.FindIndex(key => ranked[key.Replica % ranked.Count].Equals(self.SiloAddress));
        if (local > 0)
        {
            (keys[0], keys[local]) = (keys[local], keys[0]);
        }

        return keys;
    }

    private List<SiloAddress> ActiveSilos() =>
        [.. membership.CurrentSnapshot.Members.Values.Where(member => member.Status == SiloStatus.Active).Select(member => member.SiloAddress)];

    [LoggerMessage(1421, LogLevel.Warning, "Shard replica {Replica} did not answer ({Error}: {Reason}); asking another replica")]
    private static partial void ReplicaFailed(ILogger logger, string replica, string error, string reason);

    [LoggerMessage(1422, LogLevel.Warning, "Collection {Collection}: no replica of shard {Shard} answered within {Milliseconds} ms")]
    private static partial void ShardMissing(ILogger logger, string collection, int shard, int milliseconds);

    [LoggerMessage(1423, LogLevel.Information, "Shard replica {Replica} was not told of sequence {Sequence} ({Error}: {Reason}); it catches up at its next search")]
    private static partial void ApplyNoticeFailed(ILogger logger, string replica, long sequence, string error, string reason);
}
