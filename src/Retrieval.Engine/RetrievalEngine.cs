using Microsoft.Extensions.Logging;
using Retrieval.Core.Encoders;
using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Backups;
using Retrieval.Engine.Cluster;
using Retrieval.Engine.Collections;
using Retrieval.Engine.Encoders;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Maps;
using Retrieval.Engine.Memory;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.Reads;
using Retrieval.Engine.Replication;
using Retrieval.Engine.Search;
using Retrieval.Engine.Segments;
using Retrieval.Engine.Snapshots;
using Retrieval.Engine.Writes;

namespace Retrieval.Engine;

/// <summary>
/// The embeddable retrieval engine: the one entry point the server, the CLI's offline commands, tests and benchmarks
/// use. It composes the services that do the work and delegates to them: <see cref="CollectionCatalog"/> and
/// <see cref="CollectionDefinitions"/> (collections and their shards), <see cref="WritePipeline"/> (writes),
/// <see cref="ItemReader"/> (reads), <see cref="Searcher"/> (searches), <see cref="MapService"/> (maps),
/// <see cref="MigrationCoordinator"/> and <see cref="BackfillService"/> (model-upgrade migrations), and the
/// <see cref="SegmentOptimizer"/> (index builds). Writes commit to the store first, then reach the in-memory shards,
/// then return (read-your-writes). Every index is derived state rebuilt from the store at <see cref="StartAsync"/>.
/// </summary>
public sealed partial class RetrievalEngine : IAsyncDisposable
{
    /// <summary>Largest efSearch a request may ask for.</summary>
    public const int MaxEfSearch = QueryPlanner.MaxEfSearch;

    /// <summary>Longest client checkpoint token of a backfill batch, in characters.</summary>
    public const int MaxCheckpointLength = BackfillService.MaxCheckpointLength;

    private readonly IRetrievalStore _store;
    private readonly ILogger _logger;
    private readonly SegmentOptimizer _optimizer;
    private readonly EncoderBinding _encoders;
    private readonly CollectionCatalog _catalog;
    private readonly CollectionDefinitions _definitions;
    private readonly WritePipeline _writes;
    private readonly ItemReader _reads;
    private readonly Searcher _searcher;
    private readonly SearchMicroBatcher _batcher;
    private readonly MapService _maps;
    private readonly MigrationCoordinator _migrations;
    private readonly BackfillService _backfill;
    private readonly OnlineRefitter _refits;
    private readonly CollectionBackups _backups;
    private readonly StoreFollower? _follower;
    private readonly RoutedSearcher? _routed;

    /// <param name="store">The store of record.</param>
    /// <param name="options">Limits.</param>
    /// <param name="logger">Engine log.</param>
    /// <param name="indexing">Segments and approximate indexes; null for the defaults.</param>
    /// <param name="encoders">Encoders spaces may name; without them, spaces take vectors only.</param>
    /// <param name="backfillProducers">
    /// Further server-side backfill sources of migrations; re-encoding stored raw inputs is built in when
    /// <paramref name="encoders"/> are given.
    /// </param>
    /// <param name="backups">Where collection snapshots are kept; null (or no directory) turns them off.</param>
    /// <param name="changeFeed">
    /// On a node of a cluster: the shared store's change feed, which this engine follows (what other nodes commit is
    /// applied here within a bound); null on a single node, which follows nothing.
    /// </param>
    /// <param name="follow">How the change feed is followed; null for the defaults.</param>
    /// <param name="remoteShards">
    /// In cluster mode with shard replicas (<c>Retrieval:Cluster:ShardPlacement=Grains</c>): where the replicas are
    /// reached. Searches then fan out to them, and every committed batch is passed on to them; null everywhere else.
    /// </param>
    public RetrievalEngine(
        IRetrievalStore store,
        EngineOptions options,
        ILogger<RetrievalEngine> logger,
        IndexingOptions? indexing = null,
        ISpaceEncoders? encoders = null,
        IEnumerable<IBackfillVectorProducer>? backfillProducers = null,
        BackupOptions? backups = null,
        IStoreChangeFeed? changeFeed = null,
        StoreFollowOptions? follow = null,
        IRemoteShards? remoteShards = null)
    {
        follow ??= new StoreFollowOptions();
        if (follow.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(follow));
        }

        _store = store;
        _logger = logger;
        Options = options;
        Indexing = indexing ?? new IndexingOptions();
        Indexing.Validate();
        Faiss.FaissRuntime.ThreadCount = Indexing.FaissThreads;
        var snapshots = SnapshotsOf(store, Indexing, logger);
        _encoders = new EncoderBinding(encoders, options.MaxBatchItems);
        _catalog = new CollectionCatalog(store, options, snapshots, _encoders, logger);
        _optimizer = new SegmentOptimizer(() => _catalog.All, Indexing, snapshots, logger);
        _definitions = new CollectionDefinitions(_catalog, _encoders, _optimizer, logger, remoteShards);
        Memory = new VectorMemoryBudget(_catalog, options);
        var catchUp = new ChangeCatchUp(store, _optimizer, changeFeed is not null, follow.ApplyChunk);
        _writes = new WritePipeline(
            _catalog, store, options, _encoders, new MigrationWriteStep(store, store, encoders is not null, options.MaxBatchItems),
            new MultiVectorPreparation(store, logger), _optimizer, Memory, catchUp, logger)
        {
            Replicas = remoteShards is null ? null : new ReplicaApplyNotice(remoteShards),
        };
        _reads = new ItemReader(_catalog, store, options);
        _searcher = new Searcher(_catalog, options, Indexing);
        _batcher = new SearchMicroBatcher(_searcher, options);
        if (remoteShards is not null)
        {
            _routed = new RoutedSearcher(_catalog, options, _searcher, remoteShards);
            ShardReplicas = new ShardReplicas(_catalog, store, snapshots, options, Indexing, follow.ApplyChunk, FollowStoreNowAsync, logger);
        }

        _maps = new MapService(_catalog, store, logger, options.AutoMapBudgetSeconds);
        // With encoders, the server can re-encode stored raw inputs itself (source b of a migration's backfill).
        // Re-projection migrations re-project stored old vectors through a two-sided pair's gallery side (no encoder needed).
        var producers = new BackfillProducers(
            [new ReprojectionBackfillProducer(), .. backfillProducers ?? [], .. encoders is null ? [] : new[] { new RawInputBackfillProducer(store, encoders, logger) }]);
        _migrations = new MigrationCoordinator(_catalog, store, _maps, producers, logger);
        _backfill = new BackfillService(_catalog, _migrations, _writes, catchUp, producers, options.MaxBatchItems, logger);
        _refits = new OnlineRefitter(_catalog, store, logger);
        _backups = new CollectionBackups(_catalog, store, backups ?? new BackupOptions(), AttachAsync, logger);
        if (changeFeed is not null)
        {
            _follower = new StoreFollower(
                changeFeed, _catalog, new CatalogFollower(_catalog, store, _maps, _migrations, AttachAsync, _optimizer, _encoders, logger), catchUp, follow, logger);
        }

        MigrationMetrics.Register(this);
        VectorMemoryMetrics.Register(Memory);
    }

    /// <summary>
    /// The shard replicas this node hosts for the cluster (cluster mode with shard replicas); null where this engine
    /// holds every shard itself.
    /// </summary>
    public ShardReplicas? ShardReplicas { get; }

    // Snapshots are off without a directory (in the store they still stage through it).
    private static SnapshotStore? SnapshotsOf(IRetrievalStore store, IndexingOptions indexing, ILogger logger)
    {
        if (string.IsNullOrWhiteSpace(indexing.SnapshotDirectory))
        {
            return null;
        }

        if (indexing.SnapshotLocation == SnapshotLocation.Directory)
        {
            return new SnapshotStore(indexing.SnapshotDirectory, indexing, logger);
        }

        var shared = store as IShardSnapshotStore
            ?? throw new ArgumentException(
                $"Retrieval:Indexing:SnapshotLocation=Store needs a store that keeps snapshots (PostgreSQL); the {store.Kind} store does not: use Directory");
        return new SnapshotStore(new StoreSnapshotPlace(shared, Path.Combine(indexing.SnapshotDirectory, "staging")), indexing, logger);
    }

    /// <summary>True once every collection is loaded from the store.</summary>
    public bool IsReady => _catalog.IsReady;

    public EngineOptions Options { get; }

    /// <summary>The vector memory budget and what the indexes hold against it.</summary>
    internal VectorMemoryBudget Memory { get; }

    /// <summary>What every collection's in-memory indexes hold now, as the vector memory budget counts it.</summary>
    public long VectorMemoryBytes => Memory.UsedBytes();

    public IndexingOptions Indexing { get; }

    /// <summary>Opens the store and loads every collection (its shards, maps and open migration), logging progress.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_follower is null)
        {
            await _catalog.StartAsync(AttachAsync, cancellationToken);
        }
        else
        {
            await _follower.StartAsync((opened, ct) => _catalog.StartAsync(AttachAsync, ct, opened), cancellationToken);
        }

        _backups.RemoveLeftovers();
        if (Indexing.BackgroundOptimizer)
        {
            _optimizer.Start();
        }
    }

    // What belongs to a collection beside its items, loaded after them (start-up and restore).
    private async Task AttachAsync(State.CollectionState state, CancellationToken cancellationToken)
    {
        await _maps.LoadAsync(state, cancellationToken);
        await _migrations.LoadAsync(state, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        var wasReady = _catalog.IsReady;
        _catalog.Stop();
        MigrationMetrics.Unregister(this);
        VectorMemoryMetrics.Unregister(Memory);
        await _refits.DisposeAsync();
        if (_follower is not null)
        {
            await _follower.DisposeAsync();
        }

        if (ShardReplicas is not null)
        {
            await ShardReplicas.DisposeAsync();
        }

        await _optimizer.DisposeAsync();
        if (wasReady)
        {
            _catalog.WriteShutdownSnapshots(Indexing);
        }

        _catalog.Dispose();
        await _store.DisposeAsync();
    }

    /// <summary>
    /// On a node of a cluster: runs one round of following the store now and returns when it is done (what other nodes
    /// committed before the call is applied here). Does nothing on a single node.
    /// </summary>
    public Task FollowStoreNowAsync() => _follower?.RefreshAsync() ?? Task.CompletedTask;

    // Collections.

    /// <summary>Creates a one-shard collection. The default space is <paramref name="defaultSpace"/>, or the first space.</summary>
    public Task<CollectionInfo> CreateCollectionAsync(string name, IReadOnlyList<SpaceDefinition> spaces, string? defaultSpace, CancellationToken cancellationToken) =>
        _definitions.CreateAsync(name, spaces, defaultSpace, storeInputs: false, shards: 1, cancellationToken);

    /// <summary>
    /// Creates a one-shard collection. The default space is <paramref name="defaultSpace"/>, or the first space. With
    /// <paramref name="storeInputs"/> the store of record keeps the raw input each vector was encoded from.
    /// </summary>
    public Task<CollectionInfo> CreateCollectionAsync(
        string name, IReadOnlyList<SpaceDefinition> spaces, string? defaultSpace, bool storeInputs, CancellationToken cancellationToken) =>
        _definitions.CreateAsync(name, spaces, defaultSpace, storeInputs, shards: 1, cancellationToken);

    /// <summary>
    /// Creates a collection of <paramref name="shards"/> shards (1 to 64; 0 means 1), fixed at creation: items are spread
    /// over them by <see cref="ShardAssignment.ShardOf"/>, and each shard has its own segments, index builds and snapshot.
    /// </summary>
    public Task<CollectionInfo> CreateCollectionAsync(
        string name, IReadOnlyList<SpaceDefinition> spaces, string? defaultSpace, bool storeInputs, int shards, CancellationToken cancellationToken) =>
        _definitions.CreateAsync(name, spaces, defaultSpace, storeInputs, shards, cancellationToken);

    /// <summary>
    /// Creates a collection of <paramref name="shards"/> shards with <paramref name="replicas"/> copies of each (1 to the
    /// number of nodes; 0 means 1), placed on different nodes in cluster mode with shard replicas.
    /// </summary>
    public Task<CollectionInfo> CreateCollectionAsync(
        string name, IReadOnlyList<SpaceDefinition> spaces, string? defaultSpace, bool storeInputs, int shards, int replicas, CancellationToken cancellationToken) =>
        _definitions.CreateAsync(name, spaces, defaultSpace, storeInputs, shards, cancellationToken, replicas);

    public IReadOnlyList<CollectionInfo> ListCollections() => [.. _definitions.List().Select(WithAliases)];

    /// <summary>The collection named <paramref name="name"/> (or by an alias of it), with its aliases.</summary>
    public CollectionInfo GetCollection(string name) => WithAliases(_definitions.Get(name));

    /// <summary>
    /// Deletes a collection with everything it holds. FAILED_PRECONDITION while aliases point to it: delete or switch
    /// them first.
    /// </summary>
    public Task DeleteCollectionAsync(string name, CancellationToken cancellationToken) => _definitions.DeleteAsync(name, cancellationToken);

    // Aliases. Every method of the engine that takes a collection name also takes an alias: the catalog resolves it.

    /// <summary>
    /// Applies alias actions (create, delete, switch) in order, all or nothing: the first that cannot apply throws and
    /// nothing changes. A switch is atomic: every call resolves the alias to either the old or the new collection.
    /// </summary>
    public Task ApplyAliasActionsAsync(IReadOnlyList<AliasAction> actions, CancellationToken cancellationToken) =>
        _catalog.ApplyAliasActionsAsync(actions, cancellationToken);

    /// <summary>The collection <paramref name="name"/> is an alias of, or null when it is no alias.</summary>
    public string? AliasTarget(string name) => _catalog.Aliases.TryResolve(name, out var collection) ? collection : null;

    /// <summary>Every alias, ordered by name.</summary>
    public IReadOnlyList<AliasInfo> ListAliases()
    {
        _catalog.EnsureReady();
        return _catalog.Aliases.All;
    }

    /// <summary>Adds a space to a live collection; existing items have no vector in it until upserted.</summary>
    public Task<CollectionInfo> AddSpaceAsync(string collection, SpaceDefinition space, CancellationToken cancellationToken) =>
        _definitions.AddSpaceAsync(_catalog.CanonicalName(collection), space, cancellationToken);

    /// <summary>Removes a space and its vectors. The default space cannot be removed.</summary>
    public Task<CollectionInfo> DeleteSpaceAsync(string collection, string space, CancellationToken cancellationToken) =>
        _definitions.DeleteSpaceAsync(_catalog.CanonicalName(collection), space, cancellationToken);

    public Task<CollectionInfo> SetDefaultSpaceAsync(string collection, string space, CancellationToken cancellationToken) =>
        _definitions.SetDefaultSpaceAsync(_catalog.CanonicalName(collection), space, cancellationToken);

    /// <summary>
    /// Sets or changes (null or empty: removes) the approximate index of a space on a live collection. Returns at once:
    /// the optimizer builds the new index of every shard in the background while searches keep using the old segments.
    /// </summary>
    public Task<CollectionInfo> SetSpaceIndexAsync(string collection, string space, string? index, CancellationToken cancellationToken) =>
        _definitions.SetSpaceIndexAsync(_catalog.CanonicalName(collection), space, index, cancellationToken);

    /// <summary>How a space is indexed right now, in total and per shard: segments, vectors indexed, builds in progress.</summary>
    public SpaceIndexStatus GetSpaceIndexStatus(string collection, string space) => _definitions.GetSpaceIndexStatus(_catalog.CanonicalName(collection), space);

    /// <summary>Runs optimizer jobs until none is left (tests and benchmarks use it to wait for builds deterministically).</summary>
    public void RunOptimizerUntilIdle(CancellationToken cancellationToken)
    {
        _catalog.EnsureReady();
        while (_optimizer.RunOneJob(cancellationToken))
        {
        }
    }

    private CollectionInfo WithAliases(CollectionInfo info) => info with { Aliases = _catalog.Aliases.Of(info.Definition.Name) };

    // Items.

    /// <summary>
    /// Upserts a batch atomically: validated as a whole, committed in one transaction, applied to the shards, then
    /// acknowledged. Merge semantics are those of <see cref="ItemWrite"/>; raw inputs are encoded first.
    /// </summary>
    public Task<WriteResult> UpsertAsync(string collection, IReadOnlyList<ItemWrite> items, CancellationToken cancellationToken) =>
        _writes.UpsertAsync(_catalog.CanonicalName(collection), items, null, cancellationToken);

    /// <summary>
    /// Upserts one batch of a stream: several of the stream's batches may wait for a commit at once (and share it), yet
    /// they commit in the order of these calls, and none after a failed one is written.
    /// </summary>
    public Task<WriteResult> UpsertAsync(string collection, IReadOnlyList<ItemWrite> items, Writes.WriteChain chain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chain);
        string canonical;
        try
        {
            canonical = _catalog.CanonicalName(collection);
        }
        catch (Exception e)
        {
            // Refused before it took its place in the stream: the stream's later batches must not be written either.
            chain.Break();
            return Task.FromException<WriteResult>(e);
        }

        return _writes.UpsertAsync(canonical, items, chain, cancellationToken);
    }

    /// <summary>Deletes the given ids (unknown ids are ignored). Returns how many existed.</summary>
    public Task<WriteResult> DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        _writes.DeleteAsync(_catalog.CanonicalName(collection), ids, cancellationToken);

    /// <summary>Deletes every item whose payload matches the filter, in one atomic batch.</summary>
    public Task<WriteResult> DeleteAsync(string collection, PayloadFilter filter, CancellationToken cancellationToken) =>
        _writes.DeleteAsync(_catalog.CanonicalName(collection), filter, cancellationToken);

    /// <summary>The items with the given ids, in request order; unknown ids are left out.</summary>
    public IReadOnlyList<ItemView> GetItems(string collection, IReadOnlyList<string> ids, bool withVectors) =>
        _reads.GetItems(_catalog.CanonicalName(collection), ids, withVectors);

    /// <summary>A page of items in ascending ordinal id order, optionally filtered.</summary>
    public ScrollPage Scroll(string collection, PayloadFilter? filter, int limit, string? cursor, bool withVectors) =>
        _reads.Scroll(_catalog.CanonicalName(collection), filter, limit, cursor, withVectors);

    /// <summary>Number of items, or of items matching <paramref name="filter"/>.</summary>
    public long Count(string collection, PayloadFilter? filter) => _reads.Count(_catalog.CanonicalName(collection), filter);

    /// <summary>The MUVERA document encoding an item is indexed under in a multi-vector space, or null (diagnostics).</summary>
    public float[]? GetMultiVectorEncoding(string collection, string space, string id) => _reads.GetMultiVectorEncoding(_catalog.CanonicalName(collection), space, id);

    /// <summary>The raw inputs stored for <paramref name="ids"/> in <paramref name="space"/> (collections with storeInputs).</summary>
    public Task<IReadOnlyDictionary<string, RawInput>> ReadRawInputsAsync(string collection, string space, IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        _reads.ReadRawInputsAsync(_catalog.CanonicalName(collection), space, ids, cancellationToken);

    /// <summary>The raw inputs stored for <paramref name="ids"/>, by item id and then by space (<c>with_inputs</c>).</summary>
    public Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, RawInput>>> ReadItemInputsAsync(
        string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        _reads.ReadItemInputsAsync(_catalog.CanonicalName(collection), ids, cancellationToken);

    // Encoders.

    /// <summary>Encodes gallery inputs with <paramref name="space"/>'s encoder: one vector each, in order; nothing is written.</summary>
    public Task<IReadOnlyList<float[]>> EncodeAsync(string collection, string space, IReadOnlyList<RawInput> inputs, CancellationToken cancellationToken) =>
        _encoders.EncodeAsync(_catalog.Get(collection).Definition, space, inputs, cancellationToken);

    /// <summary>
    /// Encodes a search's raw input with its space's encoder (empty <paramref name="space"/>: the default space).
    /// <paramref name="query"/> is where the search sits in its request (<see cref="FieldPath.Root"/> for a single
    /// search), so that errors name its <c>space</c> and <c>input</c> fields.
    /// </summary>
    public Task<Encoders.EncodedQuery> EncodeQueryAsync(string collection, string? space, RawInput input, FieldPath query, CancellationToken cancellationToken) =>
        _encoders.EncodeQueryAsync(_catalog.Get(collection).Definition, space, input, query, cancellationToken);

    /// <summary>Every "collection/space" whose space names this encoder version: the registry refuses to delete it while any does.</summary>
    public IReadOnlyList<string> EncoderUsers(string name, string version)
    {
        _catalog.EnsureReady();
        return _catalog.All
            .SelectMany(s => s.Definition.Spaces
                .Where(space => space.Encoder is { } e && e.Name == name && e.Version == version)
                .Select(space => $"{s.Definition.Name}/{space.Name}"))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    // Search.

    /// <summary>Top-k search over one space of a collection (exact, or through the space's index); hits best first.</summary>
    public IReadOnlyList<SearchHit> Search(string collection, SearchQuery query) => _searcher.Search(collection, [query], batchField: null)[0].Hits;

    /// <summary>Like <see cref="Search"/>, also telling which compatibility maps the query went through.</summary>
    public SearchResult SearchWithRoute(string collection, SearchQuery query) => _searcher.Search(collection, [query], batchField: null)[0];

    /// <summary>
    /// Like <see cref="SearchWithRoute"/>, through the search micro-batcher (<see cref="EngineOptions.SearchBatching"/>):
    /// completed on return when the search ran at once, pending when it joined a batch of concurrent searches of its
    /// space, with the same answer and the same errors either way. With batching off it is <see cref="SearchWithRoute"/>.
    /// </summary>
    public ValueTask<SearchResult> SearchCoalesced(string collection, SearchQuery query) => SearchCoalesced(collection, query, CancellationToken.None);

    /// <summary>
    /// <see cref="SearchCoalesced(string, SearchQuery)"/> with the caller's token, which (with shard replicas) ends the
    /// wait for shards that have not answered: they are then missing (see <see cref="IRemoteShards.SearchAsync"/>).
    /// </summary>
    public ValueTask<SearchResult> SearchCoalesced(string collection, SearchQuery query, CancellationToken cancellationToken) =>
        _routed is null ? _batcher.SearchAsync(collection, query) : new(SearchRoutedAsync(collection, query, cancellationToken));

    /// <summary>Whether searches fan out to shard replicas on other nodes (cluster mode, Grains placement).</summary>
    public bool RoutesShards => _routed is not null;

    private async Task<SearchResult> SearchRoutedAsync(string collection, SearchQuery query, CancellationToken cancellationToken) =>
        (await _routed!.SearchAsync(collection, [query], batchField: null, cancellationToken))[0];

    /// <summary>
    /// Like <see cref="SearchBatchWithRoutes"/>; in cluster mode with shard replicas, through them (the batch's one
    /// fan-out per shard), otherwise the same call completed at once.
    /// </summary>
    public ValueTask<IReadOnlyList<SearchResult>> SearchBatchWithRoutesAsync(string collection, IReadOnlyList<SearchQuery> queries, CancellationToken cancellationToken) =>
        _routed is null ? new(SearchBatchWithRoutes(collection, queries)) : new(SearchBatchRoutedAsync(collection, queries, cancellationToken));

    private async Task<IReadOnlyList<SearchResult>> SearchBatchRoutedAsync(string collection, IReadOnlyList<SearchQuery> queries, CancellationToken cancellationToken) =>
        await _routed!.SearchAsync(collection, queries, FieldPath.Of("searches"), cancellationToken);

    /// <summary>The search micro-batcher (tests).</summary>
    internal SearchMicroBatcher SearchBatcher => _batcher;

    /// <summary>
    /// Runs several searches against one collection under one read lock. Unfiltered exact queries on the same space
    /// with the same depth share one blocked batch scan per shard.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<SearchHit>> SearchBatch(string collection, IReadOnlyList<SearchQuery> queries) =>
        _searcher.Search(collection, queries, FieldPath.Of("searches")).Select(r => r.Hits).ToList();

    /// <summary>Like <see cref="SearchBatch(string, IReadOnlyList{SearchQuery})"/>, also telling which maps each query went through.</summary>
    public IReadOnlyList<SearchResult> SearchBatchWithRoutes(string collection, IReadOnlyList<SearchQuery> queries) =>
        _searcher.Search(collection, queries, FieldPath.Of("searches"));
}
