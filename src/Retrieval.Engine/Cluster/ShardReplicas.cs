using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Search;
using Retrieval.Engine.Segments;
using Retrieval.Engine.Snapshots;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Cluster;

/// <summary>
/// The shard replicas this engine hosts for the cluster (<see cref="ShardReplica"/>), and what they share: the store
/// they read, the snapshots they start from, one optimizer that builds their indexes as it does the collections', and
/// the node's catalog for their definitions. Replicas only read snapshots: the node's own collections write them.
/// </summary>
public sealed class ShardReplicas : IAsyncDisposable
{
    private readonly CollectionCatalog _catalog;
    private readonly SnapshotStore? _snapshots;
    private readonly EngineOptions _options;
    private readonly Func<Task> _followNow;
    private readonly ConcurrentDictionary<ShardReplica, byte> _open = new();
    private readonly SegmentOptimizer _optimizer;
    private readonly bool _background;
    private int _started;

    internal ShardReplicas(
        CollectionCatalog catalog, IItemStore store, SnapshotStore? snapshots, EngineOptions options, IndexingOptions indexing,
        int applyChunk, Func<Task> followNow, ILogger logger)
    {
        _catalog = catalog;
        Store = store;
        _snapshots = snapshots;
        _options = options;
        _followNow = followNow;
        ApplyChunk = applyChunk;
        FanOut = new ShardFanOut(indexing);
        _optimizer = new SegmentOptimizer(() => _open.Keys.Select(r => r.State), indexing, snapshots: null, logger);
        _background = indexing.BackgroundOptimizer;
    }

    /// <summary>Replicas open now.</summary>
    public int Count => _open.Count;

    internal IItemStore Store { get; }

    internal int ApplyChunk { get; }

    internal ShardFanOut FanOut { get; }

    /// <summary>
    /// Loads replica of shard <paramref name="shard"/> of <paramref name="collection"/>: its snapshot when usable,
    /// then the store's changes of its shard after it. The caller disposes it.
    /// </summary>
    public async Task<ShardReplica> OpenAsync(string collection, int shard, CancellationToken cancellationToken)
    {
        var definition = (await DefinitionAsync(collection, 0)).ThrowIfShardOutOfRange(shard);
        var lastSequence = await Store.GetLastSequenceAsync(definition.Name, cancellationToken);
        var loaded = _snapshots?.Exists(definition.Name) == true ? _snapshots.TryLoad(definition, shard, lastSequence) : null;
        loaded?.UsePayloadIndexOptions(_options.PayloadIndexes);
        var state = new CollectionState(definition, [loaded ?? new Shard(shard, definition, _options.PayloadIndexes)]);
        var replica = new ShardReplica(this, state, shard, loaded?.AppliedSequence ?? 0);
        try
        {
            await replica.ReadStoreAsync(cancellationToken);
        }
        catch
        {
            state.Dispose();
            throw;
        }

        _open[replica] = 0;
        if (_background && Interlocked.Exchange(ref _started, 1) == 0)
        {
            _optimizer.Start();
        }

        _optimizer.Wake();
        return replica;
    }

    /// <summary>Runs the replicas' index builds on this thread until none is left (tests and benchmarks, with the background optimizer off).</summary>
    public void RunOptimizerUntilIdle(CancellationToken cancellationToken)
    {
        while (_optimizer.RunOneJob(cancellationToken))
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _optimizer.DisposeAsync();
        foreach (var replica in _open.Keys)
        {
            replica.Dispose();
        }
    }

    /// <summary>
    /// The collection's definition from this node's catalog, at least at <paramref name="version"/> (the catalog is
    /// read again once when it is older: the request came from a node that followed a change first).
    /// </summary>
    internal async Task<CollectionDefinition> DefinitionAsync(string collection, long version)
    {
        var definition = _catalog.Get(collection).Definition;
        if (definition.Version < version)
        {
            await _followNow();
            definition = _catalog.Get(collection).Definition;
        }

        return definition.Version >= version
            ? definition
            : throw RetrievalException.Unavailable($"collection '{collection}': this node has not read definition version {version} yet");
    }

    internal void Applied() => _optimizer.Wake();

    /// <summary>
    /// Whether the collection a replica was loaded for still exists in this node's catalog (the same incarnation:
    /// deleted and created again under its name counts as gone).
    /// </summary>
    internal bool Exists(CollectionDefinition loaded) =>
        _catalog.IsReady is false || _catalog.Find(loaded.Name) is { } state && state.Definition.CreatedAt == loaded.CreatedAt;

    internal void Closed(ShardReplica replica) => _open.TryRemove(replica, out _);
}

internal static class ShardRange
{
    public static CollectionDefinition ThrowIfShardOutOfRange(this CollectionDefinition definition, int shard) =>
        shard >= 0 && shard < Math.Max(1, definition.Shards)
            ? definition
            : throw RetrievalException.NotFound($"shard {shard} of collection '{definition.Name}' (it has {definition.Shards} shards)");
}
