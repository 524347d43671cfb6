using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Encoders;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.Segments;
using Retrieval.Engine.Snapshots;
using Retrieval.Engine.State;

namespace Retrieval.Engine;

/// <summary>
/// The embeddable retrieval engine: collections, their items and exact indexes, over a store of record.
/// Writes commit to the store first, then reach the in-memory indexes, then return (read-your-writes).
/// Every index is derived state rebuilt from the store at <see cref="StartAsync"/>.
/// </summary>
public sealed partial class RetrievalEngine : IAsyncDisposable
{
    private readonly IRetrievalStore _store;
    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly ISpaceEncoders? _encoders;
    private readonly IReadOnlyList<IBackfillVectorProducer> _backfillProducers;
    private readonly ConcurrentDictionary<string, CollectionState> _collections = new(StringComparer.Ordinal);

    // Serializes catalog changes (create/delete collection, add/remove space) against each other.
    private readonly SemaphoreSlim _catalogGate = new(1, 1);
    private readonly IndexingOptions _indexing;
    private readonly SnapshotStore? _snapshots;
    private readonly SegmentOptimizer _optimizer;
    private volatile bool _ready;

    /// <param name="store">The store of record.</param>
    /// <param name="options">Limits.</param>
    /// <param name="logger">Engine log.</param>
    /// <param name="indexing">Segments and approximate indexes; null for the defaults.</param>
    /// <param name="encoders">Encoders spaces may name; without them, spaces take vectors only.</param>
    /// <param name="backfillProducers">
    /// Further server-side backfill sources of migrations; re-encoding stored raw inputs is built in when
    /// <paramref name="encoders"/> are given.
    /// </param>
    public RetrievalEngine(
        IRetrievalStore store,
        EngineOptions options,
        ILogger<RetrievalEngine> logger,
        IndexingOptions? indexing = null,
        ISpaceEncoders? encoders = null,
        IEnumerable<IBackfillVectorProducer>? backfillProducers = null)
    {
        _store = store;
        _options = options;
        _logger = logger;
        _encoders = encoders;
        _indexing = indexing ?? new IndexingOptions();
        _indexing.Validate();
        Faiss.FaissRuntime.ThreadCount = _indexing.FaissThreads;
        _snapshots = string.IsNullOrWhiteSpace(_indexing.SnapshotDirectory) ? null : new SnapshotStore(_indexing.SnapshotDirectory, _indexing, logger);
        _optimizer = new SegmentOptimizer(() => _collections.Values, _indexing, _snapshots, logger);
        // With encoders, the server can re-encode stored raw inputs itself (source b of a migration's backfill).
        _backfillProducers = [.. backfillProducers ?? [], .. encoders is null ? [] : new[] { new RawInputBackfillProducer(store, encoders, logger) }];
        MigrationMetrics.Register(this);
    }

    /// <summary>True once every collection is loaded from the store.</summary>
    public bool IsReady => _ready;

    public EngineOptions Options => _options;

    public IndexingOptions Indexing => _indexing;

    /// <summary>Opens the store and loads every collection into memory, logging progress.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        Log.OpeningStore(_logger, _store.Kind);
        await _store.OpenAsync(cancellationToken);
        var definitions = await _store.ListCollectionsAsync(cancellationToken);
        for (var i = 0; i < definitions.Count; i++)
        {
            var definition = definitions[i];
            Log.LoadingCollection(_logger, definition.Name, i + 1, definitions.Count);
            var started = Stopwatch.StartNew();
            var state = await LoadSnapshotAsync(definition, cancellationToken) ?? new CollectionState(definition);
            state.UsePayloadIndexOptions(_options.PayloadIndexes);
            long loaded = 0;
            await foreach (var change in _store.ReadChangesAsync(definition.Name, state.AppliedSequence, cancellationToken))
            {
                // No reader exists yet, but the lock keeps the invariant "apply under write lock" uniform.
                state.Lock.EnterWriteLock();
                try
                {
                    state.Apply(change);
                }
                finally
                {
                    state.Lock.ExitWriteLock();
                }

                if (++loaded % _options.LoadProgressInterval == 0)
                {
                    Log.LoadProgress(_logger, definition.Name, loaded);
                }
            }

            await LoadMapsAsync(state, cancellationToken);
            await LoadMigrationAsync(state, cancellationToken);
            _collections[definition.Name] = state;
            Log.CollectionLoaded(_logger, definition.Name, state.Items.Count, state.AppliedSequence, started.ElapsedMilliseconds);
        }

        _ready = true;
        if (_indexing.BackgroundOptimizer)
        {
            _optimizer.Start();
        }
        Log.EngineReady(_logger, definitions.Count, total.ElapsedMilliseconds);
    }

    public async ValueTask DisposeAsync()
    {
        var wasReady = _ready;
        _ready = false;
        MigrationMetrics.Unregister(this);
        await _optimizer.DisposeAsync();
        if (wasReady)
        {
            WriteShutdownSnapshots();
        }
        foreach (var state in _collections.Values)
        {
            state.Dispose();
        }

        _collections.Clear();
        _catalogGate.Dispose();
        await _store.DisposeAsync();
    }

    // Collections with an index spec (or an existing snapshot) start from their snapshot when it is usable.
    private async Task<CollectionState?> LoadSnapshotAsync(CollectionDefinition definition, CancellationToken cancellationToken)
    {
        if (!UsesSnapshots(definition))
        {
            return null;
        }

        var lastSequence = await _store.GetLastSequenceAsync(definition.Name, cancellationToken);
        return _snapshots.TryLoad(definition, lastSequence);
    }

    // A collection uses a snapshot when a space (dense, or a multi-vector space's FDEs) has an index spec, or when one
    // exists (the spec was removed since). Multi-vector spaces are in snapshots since format 2 (kept tokens and FDE
    // segments, so neither pruning, encoding nor FDE index builds rerun at start-up).
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(_snapshots))]
    private bool UsesSnapshots(CollectionDefinition definition) =>
        _snapshots is not null &&
        (definition.Spaces.Any(s => !string.IsNullOrWhiteSpace(s.Index)) || File.Exists(_snapshots.PathOf(definition.Name)));

    // After the optimizer has stopped (a build in flight is abandoned: its segments are written unbuilt and built
    // again after the restart), so nothing changes the collections any more.
    private void WriteShutdownSnapshots()
    {
        if (_snapshots is null || !_indexing.SnapshotAtShutdown)
        {
            return;
        }

        var changed = _collections.Values
            .Where(s => !s.IsDeleted && s.AppliedSequence != s.SnapshotSequence && UsesSnapshots(s.Definition))
            .ToList();
        if (changed.Count == 0)
        {
            return;
        }

        Log.SnapshotsAtShutdown(_logger, changed.Count);
        foreach (var state in changed)
        {
            _snapshots.TryWrite(state);
        }
    }

    private void EnsureReady()
    {
        if (!_ready)
        {
            throw RetrievalException.Unavailable("the engine is still loading collections; retry when /readyz is green");
        }
    }

    private CollectionState GetState(string? name, string field = "collection")
    {
        EnsureReady();
        if (string.IsNullOrEmpty(name))
        {
            throw RetrievalException.Invalid(field, "is required");
        }

        return _collections.TryGetValue(name, out var state) && !state.IsDeleted
            ? state
            : throw RetrievalException.NotFound($"collection '{name}' not found");
    }

    private static T Read<T>(CollectionState state, Func<CollectionState, T> read)
    {
        state.Lock.EnterReadLock();
        try
        {
            return read(state);
        }
        finally
        {
            state.Lock.ExitReadLock();
        }
    }

    private static void Mutate(CollectionState state, Action<CollectionState> mutate)
    {
        state.Lock.EnterWriteLock();
        try
        {
            mutate(state);
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }
    }
}
