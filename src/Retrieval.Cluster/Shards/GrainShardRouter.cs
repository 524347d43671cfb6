using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Errors;
using Retrieval.Engine.Cluster;

namespace Retrieval.Cluster.Shards;

/// <summary>
/// The engine's <see cref="IRemoteShards"/> over shard replica grains. A search asks one replica of every shard at
/// once: the one this node hosts first, then the others by replica number, each call bounded by
/// <see cref="ClusterModeOptions.ReplicaCallTimeoutMilliseconds"/>; when every replica failed it tries again until
/// <see cref="ClusterModeOptions.ShardDeadlineMilliseconds"/> or the caller's token (a dead node's replicas are activated elsewhere on the
/// next call once the membership declared it dead). A shard still without an answer is missing: UNAVAILABLE naming
/// it, or with allowPartial the others' hits and the list. Never silently partial.
/// </summary>
internal sealed partial class GrainShardRouter(
    IGrainFactory grains, IClusterMembershipService membership, LocalReplicas local, ClusterModeOptions options,
    ILogger<GrainShardRouter> logger)
    : IRemoteShards
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(200);

    public int NodeCount => ActiveSilos().Count;

    /// <remarks>
    /// <paramref name="cancellationToken"/> ends the wait: a shard without an answer when it fires is missing, as at
    /// the deadline (the server cancels it a little before the client's own deadline, so that an allowPartial client
    /// gets the other shards' hits rather than DEADLINE_EXCEEDED). A replica's INVALID_ARGUMENT, NOT_FOUND or
    /// FAILED_PRECONDITION, or an answer this node cannot read, fails the search at once: every replica would say the same.
    /// </remarks>
    public async Task<RemoteShardAnswers> SearchAsync(
        string collection, int replicas, IReadOnlyList<ShardSearchRequest> requests, bool allowPartial, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * options.ShardDeadlineMilliseconds / 1000;
        var asks = new Task<ShardAnswer>[requests.Count];
        for (var i = 0; i < asks.Length; i++)
        {
            asks[i] = AskShardAsync(collection, Math.Max(1, replicas), requests[i], deadline, cancellationToken);
        }

        await Task.WhenAll(asks);
        var responses = new Dictionary<int, ShardSearchResponse>(requests.Count);
        var missing = new List<int>();
        var reasons = new List<string>();
        for (var i = 0; i < asks.Length; i++)
        {
            var answer = asks[i].Result;
            if (answer.Response is { } response)
            {
                responses[requests[i].Shard] = response;
            }
            else
            {
                missing.Add(requests[i].Shard);
                reasons.Add($"shard {requests[i].Shard}: {answer.LastError ?? "no replica was asked"}");
            }
        }

        if (missing.Count > 0 && !allowPartial)
        {
            var waited = cancellationToken.IsCancellationRequested
                ? "before the call's own deadline"
                : $"within {options.ShardDeadlineMilliseconds} ms ({ClusterModeOptions.SectionName}:ShardDeadlineMilliseconds)";
            throw RetrievalException.Unavailable(
                $"collection '{collection}': no replica of shard{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing)} answered {waited}; " +
                $"last errors: {string.Join("; ", reasons)}; retry, or search with allowPartial for the other shards' hits and the list of missing shards");
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

    /// <summary>One shard's outcome: its response, or none with the last replica error seen (null when none was asked).</summary>
    private readonly record struct ShardAnswer(ShardSearchResponse? Response, string? LastError);

    private async Task<ShardAnswer> AskShardAsync(string collection, int replicas, ShardSearchRequest request, long deadline, CancellationToken cancellationToken)
    {
        var bytes = ShardSearchCodec.Write(request);
        var callTimeout = TimeSpan.FromMilliseconds(options.ReplicaCallTimeoutMilliseconds);
        string? lastError = null;
        while (true)
        {
            foreach (var key in Order(collection, request.Shard, replicas))
            {
                var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (left <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
                {
                    return Missing(collection, request.Shard, lastError);
                }

                byte[] answer;
                try
                {
                    answer = await grains.GetGrain<IShardReplicaGrain>(key.ToString()).SearchAsync(bytes)
                        .WaitAsync(left < callTimeout ? left : callTimeout, cancellationToken);
                }
                catch (ShardReplicaRefusedException e) when (e.Final)
                {
                    throw new RetrievalException(e.Kind, e.Reason);
                }
                catch (FormatException e)
                {
                    throw IncompatibleNodes(key, e);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return Missing(collection, request.Shard, lastError ?? $"replica {key}: no answer before the call's own deadline");
                }
                catch (Exception e)
                {
                    // Timed out, its node gone or still loading it, or it failed now: another replica may answer.
                    lastError = $"replica {key}: {e.GetType().Name}: {e.Message}";
                    ReplicaFailed(logger, key.ToString(), e.GetType().Name, e.Message);
                    continue;
                }

                try
                {
                    return new ShardAnswer(ShardSearchCodec.ReadResponse(answer), null);
                }
                catch (FormatException e)
                {
                    throw IncompatibleNodes(key, e);
                }
            }

            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
            {
                return Missing(collection, request.Shard, lastError);
            }

            try
            {
                await Task.Delay(remaining < RetryPause ? remaining : RetryPause, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Missing(collection, request.Shard, lastError);
            }
        }
    }

    private ShardAnswer Missing(string collection, int shard, string? lastError)
    {
        ShardMissing(logger, collection, shard, lastError ?? "");
        return new ShardAnswer(null, lastError);
    }

    /// <summary>A request or answer one side cannot read: the nodes run different versions; no replica would do better.</summary>
    private static RetrievalException IncompatibleNodes(ShardReplicaKey key, FormatException e) => new(
        ErrorKind.FailedPrecondition,
        $"shard replica {key} and this node do not read each other's shard search messages ({e.Message}); every node of a cluster must run the same version",
        e);

    /// <summary>The shard's replicas in the order to ask them: one this node hosts first, then by replica number.</summary>
    private List<ShardReplicaKey> Order(string collection, int shard, int replicas)
    {
        var keys = Enumerable.Range(0, replicas).Select(r => new ShardReplicaKey(collection, shard, r)).ToList();
        var here = keys.FindIndex(local.Contains);
        if (here > 0)
        {
            (keys[0], keys[here]) = (keys[here], keys[0]);
        }

        return keys;
    }

    private List<SiloAddress> ActiveSilos() =>
        [.. membership.CurrentSnapshot.Members.Values.Where(member => member.Status == SiloStatus.Active).Select(member => member.SiloAddress)];

    [LoggerMessage(1421, LogLevel.Warning, "Shard replica {Replica} did not answer ({Error}: {Reason}); asking another replica")]
    private static partial void ReplicaFailed(ILogger logger, string replica, string error, string reason);

    [LoggerMessage(1422, LogLevel.Warning, "Collection {Collection}: no replica of shard {Shard} answered in time (last error: {LastError})")]
    private static partial void ShardMissing(ILogger logger, string collection, int shard, string lastError);

    [LoggerMessage(1423, LogLevel.Information, "Shard replica {Replica} was not told of sequence {Sequence} ({Error}: {Reason}); it catches up at its next search")]
    private static partial void ApplyNoticeFailed(ILogger logger, string replica, long sequence, string error, string reason);
}
