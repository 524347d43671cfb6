using Microsoft.Extensions.Logging;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;
using Retrieval.Engine.Encoders;
using Retrieval.Engine.Maps;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.Segments;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Replication;

/// <summary>
/// Brings this node's catalog level with the store's versions: collections another node created (loaded as at
/// start-up) or deleted (dropped), and, for a collection whose catalog version moved, its definition, maps and open
/// migration read again under its write gate; aliases and registered encoders when the catalog version moved. It
/// remembers the versions it last applied; only the loop of <see cref="StoreFollower"/> calls it, one round at a time.
/// </summary>
internal sealed class CatalogFollower
{
    private readonly CollectionCatalog _catalog;
    private readonly ICatalogStore _store;
    private readonly MapService _maps;
    private readonly MigrationCoordinator _migrations;
    private readonly Func<CollectionState, CancellationToken, Task> _attach;
    private readonly SegmentOptimizer _optimizer;
    private readonly EncoderBinding _encoders;
    private readonly ILogger _logger;
    private readonly Dictionary<string, CollectionVersions> _seen = new(StringComparer.Ordinal);
    private long _seenCatalog = -1;

    public CatalogFollower(
        CollectionCatalog catalog,
        ICatalogStore store,
        MapService maps,
        MigrationCoordinator migrations,
        Func<CollectionState, CancellationToken, Task> attach,
        SegmentOptimizer optimizer,
        EncoderBinding encoders,
        ILogger logger)
    {
        _catalog = catalog;
        _store = store;
        _maps = maps;
        _migrations = migrations;
        _attach = attach;
        _optimizer = optimizer;
        _encoders = encoders;
        _logger = logger;
    }

    /// <summary>
    /// Records versions read before the start-up load as applied: the load read at least that much, and whatever moved
    /// since shows as a difference in the next round.
    /// </summary>
    public void Record(StoreVersions versions)
    {
        _seenCatalog = versions.Catalog;
        foreach (var (name, collection) in versions.Collections)
        {
            _seen[name] = collection;
        }
    }

    /// <summary>Applies the catalog differences; returns the collections whose items are behind the store.</summary>
    public async Task<IReadOnlyList<CollectionState>> SyncAsync(StoreVersions versions, CancellationToken cancellationToken)
    {
        // Encoders first (a registration moves the catalog version): a collection adopted below may name one.
        if (versions.Catalog != _seenCatalog)
        {
            await _encoders.RefreshAsync(cancellationToken);
        }

        IReadOnlyDictionary<string, CollectionDefinition>? definitions = null;
        async Task<CollectionDefinition?> DefinitionAsync(string name)
        {
            definitions ??= (await _store.ListCollectionsAsync(cancellationToken)).ToDictionary(d => d.Name, StringComparer.Ordinal);
            return definitions.GetValueOrDefault(name);
        }

        foreach (var name in _catalog.All.Select(s => s.Definition.Name).Where(n => !versions.Collections.ContainsKey(n)).ToList())
        {
            // Created here after the versions were read? Asked again of the store under the catalog gate, which a
            // creation holds from its store insert to its memory update.
            if (await _catalog.ForgetAsync(name, async ct => (await _store.ListCollectionsAsync(ct)).All(d => d.Name != name), cancellationToken))
            {
                _seen.Remove(name);
                FollowLog.Forgotten(_logger, name);
            }
        }

        var behind = new List<CollectionState>();
        foreach (var (name, current) in versions.Collections)
        {
            var state = _catalog.Find(name);
            var seen = _seen.TryGetValue(name, out var s) ? s : (CollectionVersions?)null;
            if (state is null || (seen is { } known && known.Key != current.Key))
            {
                // Unknown here, or deleted and created again (a new key) since this node read it.
                if (await DefinitionAsync(name) is not { } definition)
                {
                    continue; // deleted again between the two reads: the next round sees it gone
                }

                await _catalog.AdoptAsync(definition, _attach, cancellationToken);
                _seen[name] = current;
                var adopted = _catalog.Find(name)!;
                FollowLog.Adopted(_logger, name, adopted.Read(a => a.ItemCount), adopted.AppliedSequence);
                _optimizer.Wake();
            }
            else
            {
                if (seen is null || seen.Value.Catalog != current.Catalog)
                {
                    if (await DefinitionAsync(name) is { } definition)
                    {
                        await ReloadAsync(state, definition, cancellationToken);
                    }
                }

                _seen[name] = current;
            }

            if (_catalog.Find(name) is { } live && live.AppliedSequence < current.LastSequence)
            {
                behind.Add(live);
            }
        }

        if (versions.Catalog != _seenCatalog)
        {
            await _catalog.ReloadAliasesAsync(cancellationToken);
            _seenCatalog = versions.Catalog;
            FollowLog.AliasesReloaded(_logger, versions.Catalog);
        }

        return behind;
    }

    /// <summary>Reads the open migration of a collection again, under its write gate (its counters moved with other nodes' batches).</summary>
    public async Task ReloadMigrationAsync(string name, CancellationToken cancellationToken)
    {
        if (_catalog.Find(name) is not { } state)
        {
            return;
        }

        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            await ReloadMigrationLockedAsync(state, cancellationToken);
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    /// <summary>Reads the open migration again; caller holds the write gate.</summary>
    public async Task ReloadMigrationLockedAsync(CollectionState state, CancellationToken cancellationToken)
    {
        await _migrations.LoadAsync(state, cancellationToken);
        state.Migration?.InvalidateFilters();
    }

    // Definition, maps and migration as the store holds them now, under the write gate (ordered with local writes and
    // phase changes); the optimizer then builds what a changed index spec asks for.
    private async Task ReloadAsync(CollectionState state, CollectionDefinition definition, CancellationToken cancellationToken)
    {
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            if (state.IsDeleted)
            {
                return;
            }

            // Read before the gate was taken: a change made here meanwhile is newer, never replaced by an older one.
            if (definition.Version > state.Definition.Version)
            {
                state.Write(s => s.Redefine(definition));
            }

            await _maps.ReloadAsync(state, cancellationToken);
            await ReloadMigrationLockedAsync(state, cancellationToken);
        }
        finally
        {
            state.WriteGate.Release();
        }

        _optimizer.Wake();
        FollowLog.CatalogReloaded(_logger, state.Definition.Name, definition.Version);
    }
}
