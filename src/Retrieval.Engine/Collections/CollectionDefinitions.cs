using Microsoft.Extensions.Logging;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Engine.Encoders;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Memory;
using Retrieval.Engine.Segments;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Collections;

/// <summary>
/// The operator's view of collections: create (with its spaces and shard count), list, describe, delete, and change a
/// live collection's spaces, default space and index specs. Validation happens here; the catalog applies the change.
/// </summary>
internal sealed class CollectionDefinitions
{
    private readonly CollectionCatalog _catalog;
    private readonly EncoderBinding _encoders;
    private readonly SegmentOptimizer _optimizer;
    private readonly ILogger _logger;

    private readonly Cluster.IRemoteShards? _remote;

    public CollectionDefinitions(CollectionCatalog catalog, EncoderBinding encoders, SegmentOptimizer optimizer, ILogger logger, Cluster.IRemoteShards? remote = null)
    {
        _catalog = catalog;
        _remote = remote;
        _encoders = encoders;
        _optimizer = optimizer;
        _logger = logger;
    }

    /// <summary>
    /// Creates a collection. The default space is <paramref name="defaultSpace"/>, or the first space. With
    /// <paramref name="storeInputs"/> the store of record keeps the raw input each vector was encoded from.
    /// </summary>
    public async Task<CollectionInfo> CreateAsync(
        string name, IReadOnlyList<SpaceDefinition> spaces, string? defaultSpace, bool storeInputs, int shards, CancellationToken cancellationToken,
        int replicas = 0)
    {
        _catalog.EnsureReady();
        Names.ValidateName(name, FieldPath.Of("name"));
        if (shards is < 0 or > ShardAssignment.MaxShards)
        {
            throw RetrievalException.Invalid(FieldPath.Of("shards"), $"must be between 1 and {ShardAssignment.MaxShards} (0: the default, 1), got {shards}");
        }

        ValidateReplicas(replicas);

        if (spaces.Count == 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("spaces"), "a collection needs at least one space");
        }

        spaces = spaces.Select((s, i) => SpaceRules.Validate(s, FieldPath.Of("spaces").Index(i))).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spaces.Count; i++)
        {
            if (!names.Add(spaces[i].Name))
            {
                throw RetrievalException.Invalid(FieldPath.Of("spaces").Index(i).Member("name"), $"duplicate space name '{spaces[i].Name}'");
            }
        }

        for (var i = 0; i < spaces.Count; i++)
        {
            SpaceRules.ValidatePrefix(spaces[i], spaces, FieldPath.Of("spaces").Index(i));
        }

        var chosenDefault = string.IsNullOrEmpty(defaultSpace) ? spaces[0].Name : defaultSpace;
        if (!names.Contains(chosenDefault))
        {
            throw RetrievalException.Invalid(FieldPath.Of("defaultSpace"), $"'{chosenDefault}' is not one of the collection's spaces");
        }

        var now = DateTimeOffset.UtcNow;
        var definition = new CollectionDefinition(name, spaces, chosenDefault, now, now, storeInputs, Math.Max(1, shards)) { Replicas = Math.Max(1, replicas) };
        var state = await _catalog.CreateAsync(definition, cancellationToken);
        return Describe(state);
    }

    /// <summary>
    /// Replicas of each shard live on different nodes: at most as many as the nodes serving shards now (1 where this
    /// engine holds every shard itself: a single node, or a cluster whose nodes each hold every shard).
    /// </summary>
    private void ValidateReplicas(int replicas)
    {
        var nodes = _remote?.NodeCount ?? 1;
        if (replicas < 0 || replicas > Math.Max(1, nodes))
        {
            var where = _remote is null
                ? "1 here: replicas are placed on different nodes only in cluster mode with Retrieval:Cluster:ShardPlacement=Grains"
                : $"{nodes}, the nodes in the cluster now";
            throw RetrievalException.Invalid(FieldPath.Of("replicas"), $"must be between 1 and the number of nodes ({where}; 0: the default, 1), got {replicas}");
        }
    }

    public IReadOnlyList<CollectionInfo> List()
    {
        _catalog.EnsureReady();
        return _catalog.All.Select(Describe).OrderBy(c => c.Definition.Name, StringComparer.Ordinal).ToList();
    }

    public CollectionInfo Get(string name) => Describe(_catalog.Get(name, FieldPath.Of("name")));

    public Task DeleteAsync(string name, CancellationToken cancellationToken) => _catalog.DeleteAsync(name, cancellationToken);

    /// <summary>Adds a space to a live collection; existing items have no vector in it until upserted.</summary>
    public async Task<CollectionInfo> AddSpaceAsync(string collection, SpaceDefinition space, CancellationToken cancellationToken)
    {
        space = SpaceRules.Validate(space, FieldPath.Of("space"));
        await using var encoderLock = await _encoders.LockAsync([space], cancellationToken);
        var state = await _catalog.ChangeDefinitionAsync(collection, s =>
        {
            var current = s.Definition;
            if (current.FindSpace(space.Name) is not null)
            {
                throw RetrievalException.AlreadyExists($"space '{space.Name}' already exists in collection '{collection}'");
            }

            SpaceRules.ValidatePrefix(space, current.Spaces, FieldPath.Of("space"));
            return (current with { Spaces = [.. current.Spaces, SpaceRules.WithCanonicalIndex(_encoders.Bind(space, FieldPath.Of("space")))] }, null);
        }, cancellationToken);
        Log.SpaceAdded(_logger, collection, space.Name);
        return Describe(state);
    }

    /// <summary>Removes a space and its vectors. The default space cannot be removed.</summary>
    public async Task<CollectionInfo> DeleteSpaceAsync(string collection, string space, CancellationToken cancellationToken)
    {
        var state = await _catalog.ChangeDefinitionAsync(collection, s =>
        {
            var current = s.Definition;
            if (current.FindSpace(space) is null)
            {
                throw RetrievalException.NotFound($"space '{space}' not found in collection '{collection}'");
            }

            if (s.Migration is { } migration && (migration.Row.FromSpace == space || migration.Row.ToSpace == space))
            {
                throw RetrievalException.Precondition($"space '{space}' takes part in open migration '{migration.Row.Id}'; retire or roll it back first");
            }

            if (current.DefaultSpace == space)
            {
                throw RetrievalException.Precondition($"space '{space}' is the default space of collection '{collection}'; make another space the default first");
            }

            // A prefix-compatible space is searched through the space it extends; removing that one would strand it.
            if (current.Spaces.FirstOrDefault(d => d.CompatiblePrefixOf == space) is { } dependent)
            {
                throw RetrievalException.Precondition($"space '{dependent.Name}' is declared compatiblePrefixOf '{space}'; delete it first");
            }

            return (current with { Spaces = current.Spaces.Where(d => d.Name != space).ToList() }, space);
        }, cancellationToken);
        Log.SpaceRemoved(_logger, collection, space);
        return Describe(state);
    }

    public async Task<CollectionInfo> SetDefaultSpaceAsync(string collection, string space, CancellationToken cancellationToken)
    {
        var state = await _catalog.ChangeDefinitionAsync(collection, s =>
        {
            var current = s.Definition;
            return current.FindSpace(space) is null
                ? throw RetrievalException.Invalid(FieldPath.Of("space"), $"unknown space '{space}' in collection '{collection}'")
                : (current with { DefaultSpace = space }, null);
        }, cancellationToken);
        Log.DefaultSpaceChanged(_logger, collection, space);
        return Describe(state);
    }

    /// <summary>
    /// Sets or changes (null or empty: removes) the approximate index of a space on a live collection. Returns at once:
    /// the optimizer builds the new index of every shard in the background while searches keep using the old segments.
    /// </summary>
    public async Task<CollectionInfo> SetSpaceIndexAsync(string collection, string space, string? index, CancellationToken cancellationToken)
    {
        var state = await _catalog.ChangeDefinitionAsync(collection, s =>
        {
            var current = s.Definition;
            var definition = current.FindSpace(space)
                ?? throw RetrievalException.NotFound($"space '{space}' not found in collection '{collection}'");
            // A multi-vector space's index holds its FDEs: the spec is checked against the encoded length.
            Validation.MultiVectorSpaceValidator.CheckIndexAllowed(definition, index, FieldPath.Of("index"));
            var canonical = string.IsNullOrWhiteSpace(index) ? null : IndexSpec.Parse(index, SpaceRules.IndexedDimension(definition), FieldPath.Of("index")).ToString();
            var updated = definition with { Index = canonical };
            return (current with { Spaces = [.. current.Spaces.Select(d => d.Name == space ? updated : d)] }, null);
        }, cancellationToken);
        Log.IndexSpecChanged(_logger, collection, space, string.IsNullOrWhiteSpace(index) ? "exact" : index);
        _optimizer.Wake();
        return Describe(state);
    }

    /// <summary>How a space is indexed right now, per shard and in total.</summary>
    public SpaceIndexStatus GetSpaceIndexStatus(string collection, string space)
    {
        var state = _catalog.Get(collection);
        return state.Read(s =>
        {
            if (s.Definition.FindSpace(space) is null)
            {
                throw RetrievalException.NotFound($"space '{space}' not found in collection '{collection}'");
            }

            return SpaceIndexStatus.Of(s.Shards.Select(shard => shard.MultiVectorSpaces.TryGetValue(space, out var multi) ? multi.Fdes : shard.GetSpace(space)).ToList());
        });
    }

    public static CollectionInfo Describe(CollectionState state) =>
        state.Read(s => new CollectionInfo(s.Definition, s.ItemCount)
        {
            MultiVectorStats = s.Definition.Spaces
                .Where(d => d.IsMulti)
                .Select(d => s.Shards.Select(shard => shard.GetMultiVectorSpace(d.Name)).ToList())
                .Select(MultiVectorSpaceStats.Of)
                .OrderBy(m => m.Space, StringComparer.Ordinal)
                .ToList(),
            Memory = VectorMemoryAccounting.Of(s),
        });
}
