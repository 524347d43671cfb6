using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Retrieval.Core.Errors;
using Retrieval.Engine;
using Retrieval.Engine.Cluster;

namespace Retrieval.Cluster.Shards;

/// <summary>
/// The Orleans host of one <see cref="ShardReplica"/>: loads it on activation (before the first call is answered),
/// releases it on deactivation. Reentrant: searches interleave (the replica has its own reader/writer lock) and
/// catch-ups are serialized inside the replica. Kept alive while its node runs: a replica is the shard's memory, not
/// a cache to drop when idle.
/// </summary>
[Reentrant]
[KeepAlive]
[ReplicaSpreadPlacement]
internal sealed partial class ShardReplicaGrain(
    RetrievalEngine engine, ReplicaLocator locator, ReadySilos ready, LocalReplicas local, ILocalSiloDetails self, ClusterModeOptions options, ILogger<ShardReplicaGrain> logger)
    : Grain, IShardReplicaGrain
{
    private ShardReplica? _replica;

    private ShardReplica Replica => _replica ?? throw new InvalidOperationException("the shard replica is not loaded");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = ShardReplicaKey.Parse(this.GetPrimaryKeyString());
        var replicas = engine.ShardReplicas
            ?? throw new InvalidOperationException($"shard replica {key} activated on a node without shard replicas ({ClusterModeOptions.SectionName}:ShardPlacement is not Grains)");
        var started = System.Diagnostics.Stopwatch.StartNew();
        _replica = await replicas.OpenAsync(key.Collection, key.Shard, cancellationToken);
        Loaded(logger, key.ToString(), _replica.ItemCount, _replica.AppliedSequence, started.ElapsedMilliseconds);
        local.Add(key);
        // Kept alive, so checked here: a deleted collection's replicas get no further calls to notice it by, and a
        // node that joined after the replica was placed is where its shard's ranking may want it now.
        var period = TimeSpan.FromMilliseconds(options.RebalanceIntervalMilliseconds > 0 ? options.RebalanceIntervalMilliseconds : 30_000);
        this.RegisterGrainTimer(CheckPlaceAsync, key, new GrainTimerCreationOptions(period, period) { KeepAlive = false });
    }

    private async Task CheckPlaceAsync(ShardReplicaKey key, CancellationToken cancellationToken)
    {
        if (_replica is { IsCurrent: false } replica)
        {
            Released(logger, key.ToString(), replica.Collection);
            DeactivateOnIdle();
            return;
        }

        if (options.RebalanceIntervalMilliseconds == 0)
        {
            return;
        }

        var hosting = locator.HostingSilos();
        if (hosting.Count == 0)
        {
            return;
        }

        var silos = await ready.FilterAsync(hosting);
        var replicas = ReplicaLocator.ReplicasOf(engine, key);
        var twins = await locator.LocateTwinsAsync(key, replicas, silos);
        if (ReplicaPlan.MoveTarget(key.Replica, replicas, self.SiloAddress, ReplicaRanking.Rank(key.ShardKey, silos), twins) is { } target)
        {
            // Orleans' grain migration: placed again through the director (the same plan, so on the target), with the
            // directory moved in one step; a plain deactivation would let a caller's cached address re-create it here.
            // It loads and catches up on the target before answering; meanwhile a twin answers (the plan moves a
            // replica only while one is active), or, with replicas 1, searches wait their deadline.
            Moving(logger, key.ToString(), target.ToString());
            MigrateOnIdle();
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        local.Remove(ShardReplicaKey.Parse(this.GetPrimaryKeyString()));
        _replica?.Dispose();
        _replica = null;
        return Task.CompletedTask;
    }

    public async Task<byte[]> SearchAsync(byte[] request)
    {
        try
        {
            return ShardSearchCodec.Write(await Replica.SearchAsync(ShardSearchCodec.ReadRequest(request), CancellationToken.None));
        }
        catch (ShardReplicaStaleException)
        {
            // The collection was created again under the same name: the next call loads it afresh.
            DeactivateOnIdle();
            throw;
        }
        catch (RetrievalException e)
        {
            throw new ShardReplicaRefusedException(e.Kind, e.Message);
        }
    }

    public Task CatchUpAsync(long sequence) => Replica.CatchUpAsync(sequence, CancellationToken.None);

    public Task<ShardReplicaStatus> GetStatusAsync() =>
        Task.FromResult(new ShardReplicaStatus(options.EffectiveNodeName, RuntimeIdentity, Replica.ItemCount, Replica.AppliedSequence));

    [LoggerMessage(1424, LogLevel.Information, "Shard replica {Replica} released: collection {Collection} no longer exists")]
    private static partial void Released(ILogger logger, string replica, string collection);

    [LoggerMessage(1425, LogLevel.Information, "Shard replica {Replica} leaves this node: its shard's ranking places it on {Silo} now")]
    private static partial void Moving(ILogger logger, string replica, string silo);

    [LoggerMessage(1420, LogLevel.Information, "Shard replica {Replica} loaded: {Items} items through sequence {Sequence} in {Milliseconds} ms")]
    private static partial void Loaded(ILogger logger, string replica, long items, long sequence, long milliseconds);
}
