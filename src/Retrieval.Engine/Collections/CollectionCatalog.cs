using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Encoders;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Snapshots;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Collections;

/// <summary>
/// The collections of the engine: their in-memory states by name, the catalog gate that orders creations and deletions,
/// start-up (every shard from its snapshot when usable, then the store's later changes) and the lifecycle of a
/// collection's definition (create, delete, add or remove a space, default space, index spec).
/// </summary>
internal sealed class CollectionCatalog : IDisposable
{
    private readonly IRetrievalStore _store;
    private readonly EngineOptions _options;
    private readonly SnapshotStore? _snapshots;
    private readonly EncoderBinding _encoders;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, CollectionState> _collections = new(StringComparer.Ordinal);

    // Serializes catalog changes (create/delete collection) against each other.
    private readonly SemaphoreSlim _catalogGate = new(1, 1);
    private volatile bool _ready;

    public CollectionCatalog(IRetrievalStore store, EngineOptions options, SnapshotStore? snapshots, EncoderBinding encoders, ILogger logger)
    {
        _store = store;
        _options = options;
        _snapshots = snapshots;
        _encoders = encoders;
        _logger = logger;
    }

    /// <summary>True once every collection is loaded from the store.</summary>
    public bool IsReady => _ready;

    /// <summary>The collection aliases: every name lookup below resolves them.</summary>
    public AliasRegistry Aliases { get; } = new();

    /// <summary>Every live collection (for the optimizer, metrics and the backfill worker).</summary>
    public IEnumerable<CollectionState> All => _collections.Values.Where(s => !s.IsDeleted);

    /// <summary>
    /// Opens the store and loads every collection into memory, logging progress; <paramref name="attach"/> then loads
    /// what belongs to each collection beside its items (maps, the open migration). <paramref name="opened"/>, when
    /// given, runs once the store is open and before anything is read from it.
    /// </summary>
    public async Task StartAsync(
        Func<CollectionState, CancellationToken, Task> attach, CancellationToken cancellationToken, Func<CancellationToken, Task>? opened = null)
    {
        var total = Stopwatch.StartNew();
        Log.OpeningStore(_logger, _store.Kind);
        await _store.OpenAsync(cancellationToken);
        if (opened is not null)
        {
            await opened(cancellationToken);
        }

        var definitions = await _store.ListCollectionsAsync(cancellationToken);
        await Aliases.LoadAsync(_store, cancellationToken);
        for (var i = 0; i < definitions.Count; i++)
        {
            var definition = definitions[i];
            Log.LoadingCollection(_logger, definition.Name, i + 1, definitions.Count);
            _collections[definition.Name] = await LoadAsync(definition, attach, cancellationToken);
        }

        _ready = true;
        Log.EngineReady(_logger, definitions.Count, total.ElapsedMilliseconds);
    }

    /// <summary>
    /// Restores a collection from a snapshot: <paramref name="import"/> writes its rows to the store (replacing the
    /// collection's rows when it exists), then the shard snapshots in <paramref name="indexFiles"/> are put in place and
    /// the collection is loaded as at start-up. Serialized with creation and deletion; a collection replaced is held at
    /// its write gate throughout, so no write lands between its last one and the swap. An existing collection is replaced
    /// only with <paramref name="overwrite"/> (ALREADY_EXISTS otherwise) and never while a migration is open on it
    /// (FAILED_PRECONDITION): the snapshot would silently end it.
    /// </summary>
    public async Task<CollectionState> RestoreAsync(
        CollectionDefinition definition,
        bool overwrite,
        Func<bool, CancellationToken, Task> import,
        IReadOnlyDictionary<int, string> indexFiles,
        Func<CollectionState, CancellationToken, Task> attach,
        CancellationToken cancellationToken)
    {
        EnsureReady();
        var name = definition.Name;
        await _catalogGate.WaitAsync(cancellationToken);
        CollectionState? existing = null;
        try
        {
            if (Aliases.Contains(name))
            {
                throw RetrievalException.AlreadyExists($"'{name}' is an alias; restore into a collection name");
            }

            if (_collections.TryGetValue(name, out var current) && !current.IsDeleted)
            {
                if (!overwrite)
                {
                    throw RetrievalException.AlreadyExists($"collection '{name}' exists; restore with overwrite to replace it, or into another name");
                }

                await current.WriteGate.WaitAsync(cancellationToken);
                existing = current;
                if (current.Migration is { } migration)
                {
                    throw RetrievalException.Precondition(
                        $"collection '{name}' has migration '{migration.Row.Id}' open; finish or roll it back before replacing the collection");
                }
            }

            // A space's pinned encoder must exist here too, or the restored collection could not encode its inputs.
            await using (await _encoders.LockAsync(definition.Spaces, cancellationToken))
            {
                for (var i = 0; i < definition.Spaces.Count; i++)
                {
                    _encoders.Bind(definition.Spaces[i], FieldPath.Of("spaces").Index(i));
                }

                await import(existing is not null, cancellationToken);
            }

            if (existing is not null)
            {
                existing.IsDeleted = true;
                _collections.TryRemove(name, out _);
            }

            // Index files are derived state: without a snapshot directory they are left out, and the shards are built from the rows.
            _snapshots?.Replace(name, indexFiles);
            var state = await LoadAsync(definition, attach, cancellationToken);
            _collections[name] = state;
            Log.CollectionRestored(_logger, name, existing is not null, (int)state.ItemCount, state.AppliedSequence);
            return state;
        }
        finally
        {
            existing?.WriteGate.Release();
            _catalogGate.Release();
        }
    }

    /// <summary>
    /// Copies the shard snapshots the engine wrote for a collection to the local files <paramref name="destination"/> names
    /// (to put into a collection snapshot); returns the shards copied.
    /// </summary>
    public IReadOnlyDictionary<int, string> CopyIndexFiles(CollectionDefinition definition, Func<int, string> destination) =>
        _snapshots?.CopyTo(definition, destination) ?? new Dictionary<int, string>();

    // One collection from the store: each shard from its snapshot when usable, then the store's later changes.
    private async Task<CollectionState> LoadAsync(
        CollectionDefinition definition, Func<CollectionState, CancellationToken, Task> attach, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var state = await LoadShardsAsync(definition, cancellationToken);
        state.UsePayloadIndexOptions(_options.PayloadIndexes);
        // Replay from the oldest shard's snapshot: a shard skips the changes its own snapshot already covers.
        var from = state.Shards.Min(s => s.AppliedSequence);
        state.RestoreSequence(state.Shards.Max(s => s.AppliedSequence));
        long loaded = 0;
        await foreach (var change in _store.ReadChangesAsync(definition.Name, from, cancellationToken))
        {
            // No reader exists yet, but the lock keeps the invariant "apply under write lock" uniform.
            state.Write(s => s.Apply(change));
            if (++loaded % _options.LoadProgressInterval == 0)
            {
                Log.LoadProgress(_logger, definition.Name, loaded);
            }
        }

        await attach(state, cancellationToken);
        Log.CollectionLoaded(_logger, definition.Name, (int)state.ItemCount, state.AppliedSequence, started.ElapsedMilliseconds);
        return state;
    }

    /// <summary>Stops serving: later calls answer UNAVAILABLE.</summary>
    public void Stop() => _ready = false;

    /// <summary>
    /// The live collection named <paramref name="name"/> (a collection's name or an alias of it); INVALID_ARGUMENT
    /// naming <paramref name="field"/> (by default the request's <c>collection</c>) without a name, NOT_FOUND when unknown.
    /// </summary>
    public CollectionState Get(string? name, FieldPath? field = null)
    {
        EnsureReady();
        if (string.IsNullOrEmpty(name))
        {
            throw RetrievalException.Invalid(field ?? FieldPath.Of("collection"), "is required");
        }

        if (_collections.TryGetValue(CanonicalName(name), out var state) && !state.IsDeleted)
        {
            return state;
        }

        // A cluster node reads the catalog again before it answers NOT_FOUND: another node may have just created it.
        return MissRefresh is { } refresh && refresh() && _collections.TryGetValue(CanonicalName(name), out state) && !state.IsDeleted
            ? state
            : throw RetrievalException.NotFound($"collection '{name}' not found");
    }

    /// <summary>
    /// On a cluster node: brings the catalog level with the store (bounded wait), true when it did; null on a single node.
    /// </summary>
    public Func<bool>? MissRefresh { get; set; }

    /// <summary>The live collection of that exact name, or null (no alias resolution, no refresh).</summary>
    public CollectionState? Find(string name) => _collections.TryGetValue(name, out var state) && !state.IsDeleted ? state : null;

    /// <summary>Reads every alias again from the store (a cluster node follows another node's changes).</summary>
    public async Task ReloadAliasesAsync(CancellationToken cancellationToken)
    {
        await _catalogGate.WaitAsync(cancellationToken);
        try
        {
            await Aliases.LoadAsync(_store, cancellationToken);
        }
        finally
        {
            _catalogGate.Release();
        }
    }

    /// <summary>
    /// Loads a collection another node created (or replaced: deleted and created again, or restored) as at start-up, and
    /// puts it in place of the one this node held under that name, if any.
    /// </summary>
    public async Task AdoptAsync(CollectionDefinition definition, Func<CollectionState, CancellationToken, Task> attach, CancellationToken cancellationToken)
    {
        await _catalogGate.WaitAsync(cancellationToken);
        try
        {
            var replaced = _collections.GetValueOrDefault(definition.Name);
            if (replaced is not null)
            {
                // This node's snapshots are of the collection it replaces.
                replaced.IsDeleted = true;
                _snapshots?.Delete(definition.Name);
            }

            var state = await LoadAsync(definition, attach, cancellationToken);

            _collections[definition.Name] = state;
        }
        finally
        {
            _catalogGate.Release();
        }
    }

    /// <summary>
    /// Drops a collection another node deleted (its rows are gone from the store already), when <paramref name="gone"/>,
    /// asked under the catalog gate, confirms it; returns whether it was dropped.
    /// </summary>
    public async Task<bool> ForgetAsync(string name, Func<CancellationToken, Task<bool>> gone, CancellationToken cancellationToken)
    {
        await _catalogGate.WaitAsync(cancellationToken);
        try
        {
            if (!_collections.TryGetValue(name, out var state) || !await gone(cancellationToken))
            {
                return false;
            }

            await state.WriteGate.WaitAsync(cancellationToken);
            try
            {
                state.IsDeleted = true;
                _collections.TryRemove(name, out _);
                _snapshots?.Delete(name);
            }
            finally
            {
                state.WriteGate.Release();
            }
        }
        finally
        {
            _catalogGate.Release();
        }

        Log.CollectionDeleted(_logger, name);
        return true;
    }

    /// <summary>
    /// The collection's own name for <paramref name="name"/>: the collection an alias points to, else the name as
    /// given (unknown and empty names included, so that the caller's lookup answers them as usual). The engine passes
    /// every collection name of a request through here, so stores, maps, migrations and logs see collection names only.
    /// </summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(name))]
    public string? CanonicalName(string? name) =>
        name is not null && !_collections.ContainsKey(name) && Aliases.TryResolve(name, out var collection) ? collection : name;

    /// <summary>Applies alias actions all or nothing, serialized with collection creation and deletion.</summary>
    public async Task ApplyAliasActionsAsync(IReadOnlyList<AliasAction> actions, CancellationToken cancellationToken)
    {
        EnsureReady();
        await _catalogGate.WaitAsync(cancellationToken);
        try
        {
            var change = Aliases.Plan(actions, name => _collections.TryGetValue(name, out var state) && !state.IsDeleted);
            await _store.ApplyAliasChangesAsync(change.Removed, change.Set, cancellationToken);
            Aliases.Commit(change);
            Log.AliasesChanged(_logger, change.Removed.Count, string.Join(",", change.Set.Select(a => $"{a.Alias}->{a.Collection}")));
        }
        finally
        {
            _catalogGate.Release();
        }
    }

    public void EnsureReady()
    {
        if (!_ready)
        {
            throw RetrievalException.Unavailable("the engine is still loading collections; retry when /readyz is green");
        }
    }

    /// <summary>Creates a collection from a validated definition (see <see cref="CollectionDefinitions"/>); binds its encoders.</summary>
    public async Task<CollectionState> CreateAsync(CollectionDefinition requested, CancellationToken cancellationToken)
    {
        EnsureReady();
        await _catalogGate.WaitAsync(cancellationToken);
        try
        {
            if (_collections.ContainsKey(requested.Name))
            {
                throw RetrievalException.AlreadyExists($"collection '{requested.Name}' already exists");
            }

            if (Aliases.Contains(requested.Name))
            {
                throw RetrievalException.AlreadyExists($"'{requested.Name}' is an alias; collection names must not collide with alias names");
            }

            // The encoder lock is held until the commit, so a named encoder cannot be deleted before the space pins it.
            await using var encoderLock = await _encoders.LockAsync(requested.Spaces, cancellationToken);
            var bound = requested.Spaces.Select((s, i) => SpaceRules.WithCanonicalIndex(_encoders.Bind(s, FieldPath.Of("spaces").Index(i)))).ToList();
            var definition = requested with { Spaces = bound };
            await _store.CreateCollectionAsync(definition, cancellationToken);
            var state = new CollectionState(definition, _options.PayloadIndexes);
            _collections[definition.Name] = state;
            Log.CollectionCreated(_logger, definition.Name, string.Join(",", bound.Select(s => s.Name)));
            return state;
        }
        finally
        {
            _catalogGate.Release();
        }
    }

    /// <summary>
    /// Deletes a collection with everything it holds. A collection that aliases point to is refused
    /// (FAILED_PRECONDITION naming them): delete or switch the aliases first (docs/decisions.md).
    /// </summary>
    public async Task DeleteAsync(string requested, CancellationToken cancellationToken)
    {
        var state = Get(requested, FieldPath.Of("name"));
        var name = state.Definition.Name;
        await _catalogGate.WaitAsync(cancellationToken);
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            if (state.IsDeleted)
            {
                throw RetrievalException.NotFound($"collection '{name}' not found");
            }

            if (Aliases.Of(name) is { Count: > 0 } aliases)
            {
                throw RetrievalException.Precondition(
                    $"collection '{name}' has aliases {string.Join(", ", aliases.Select(a => $"'{a}'"))}; delete or switch them first");
            }

            await _store.DeleteCollectionAsync(name, cancellationToken);
            state.IsDeleted = true;
            _collections.TryRemove(name, out _);
            _snapshots?.Delete(name);
        }
        finally
        {
            state.WriteGate.Release();
            _catalogGate.Release();
        }

        Log.CollectionDeleted(_logger, name);
    }

    /// <summary>
    /// Changes a collection's definition under its write gate: <paramref name="change"/> sees the current definition and
    /// returns the new one (and the space whose vectors to delete, if any); the store commits it, then every shard takes it.
    /// </summary>
    public async Task<CollectionState> ChangeDefinitionAsync(
        string collection,
        Func<CollectionState, (CollectionDefinition Updated, string? RemovedSpace)> change,
        CancellationToken cancellationToken)
    {
        var state = Get(collection);
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            var (updated, removed) = change(state);
            updated = updated with { Version = state.Definition.Version + 1, UpdatedAt = DateTimeOffset.UtcNow };
            await _store.UpdateCollectionAsync(updated, removed, cancellationToken);
            state.Write(s => s.Redefine(updated));
        }
        finally
        {
            state.WriteGate.Release();
        }

        return state;
    }

    /// <summary>
    /// After the optimizer has stopped (a build in flight is abandoned: its segments are written unbuilt and built again
    /// after the restart), writes the snapshot of every shard changed since its last one.
    /// </summary>
    public void WriteShutdownSnapshots(IndexingOptions indexing)
    {
        if (_snapshots is null || !indexing.SnapshotAtShutdown)
        {
            return;
        }

        var changed = All
            .Where(UsesSnapshots)
            .SelectMany(s => s.Shards.Where(shard => shard.AppliedSequence != shard.SnapshotSequence).Select(shard => (s, shard)))
            .ToList();
        if (changed.Count == 0)
        {
            return;
        }

        Log.SnapshotsAtShutdown(_logger, changed.Count);
        foreach (var (state, shard) in changed)
        {
            _snapshots.TryWrite(state, shard);
        }
    }

    public void Dispose()
    {
        foreach (var state in _collections.Values)
        {
            state.Dispose();
        }

        _collections.Clear();
        _catalogGate.Dispose();
    }

    // Each shard starts from its snapshot when one is usable, and empty otherwise (then it replays the whole store).
    private async Task<CollectionState> LoadShardsAsync(CollectionDefinition definition, CancellationToken cancellationToken)
    {
        if (!UsesSnapshots(definition))
        {
            return new CollectionState(definition);
        }

        var lastSequence = await _store.GetLastSequenceAsync(definition.Name, cancellationToken);
        var shards = new Shard[Math.Max(1, definition.Shards)];
        for (var i = 0; i < shards.Length; i++)
        {
            shards[i] = _snapshots.TryLoad(definition, i, lastSequence) ?? new Shard(i, definition);
        }

        return new CollectionState(definition, shards);
    }

    private bool UsesSnapshots(CollectionState state) => UsesSnapshots(state.Definition);

    // A collection uses snapshots when a space (dense, or a multi-vector space's FDEs) has an index spec, or when one
    // exists (the spec was removed since), or a multi-vector space trains its first stage (PQ codebooks, token index).
    // Multi-vector spaces are in snapshots since format 2 (kept tokens and FDE
    // segments, so neither pruning, encoding nor FDE index builds rerun at start-up).
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(_snapshots))]
    private bool UsesSnapshots(CollectionDefinition definition) =>
        _snapshots is not null &&
        (definition.Spaces.Any(s => !string.IsNullOrWhiteSpace(s.Index) || s.MultiVector is { TrainsFirstStage: true }) || _snapshots.Exists(definition.Name));
}
