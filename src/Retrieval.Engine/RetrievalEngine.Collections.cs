using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.State;
using Retrieval.Engine.Validation;

namespace Retrieval.Engine;

public sealed partial class RetrievalEngine
{
    /// <summary>Creates a collection. The default space is <paramref name="defaultSpace"/>, or the first space.</summary>
    public Task<CollectionInfo> CreateCollectionAsync(string name, IReadOnlyList<SpaceDefinition> spaces, string? defaultSpace, CancellationToken cancellationToken) =>
        CreateCollectionAsync(name, spaces, defaultSpace, storeInputs: false, cancellationToken);

    /// <summary>
    /// Creates a collection. The default space is <paramref name="defaultSpace"/>, or the first space. With
    /// <paramref name="storeInputs"/> the store of record keeps the raw input each vector was encoded from.
    /// </summary>
    public async Task<CollectionInfo> CreateCollectionAsync(
        string name, IReadOnlyList<SpaceDefinition> spaces, string? defaultSpace, bool storeInputs, CancellationToken cancellationToken)
    {
        EnsureReady();
        Names.ValidateName(name, "name");
        if (spaces.Count == 0)
        {
            throw RetrievalException.Invalid("spaces", "a collection needs at least one space");
        }

        spaces = spaces.Select((s, i) => ValidateSpace(s, $"spaces[{i}]")).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spaces.Count; i++)
        {
            if (!names.Add(spaces[i].Name))
            {
                throw RetrievalException.Invalid($"spaces[{i}].name", $"duplicate space name '{spaces[i].Name}'");
            }
        }

        for (var i = 0; i < spaces.Count; i++)
        {
            ValidatePrefix(spaces[i], spaces, $"spaces[{i}]");
        }

        var chosenDefault = string.IsNullOrEmpty(defaultSpace) ? spaces[0].Name : defaultSpace;
        if (!names.Contains(chosenDefault))
        {
            throw RetrievalException.Invalid("defaultSpace", $"'{chosenDefault}' is not one of the collection's spaces");
        }

        var now = DateTimeOffset.UtcNow;
        await _catalogGate.WaitAsync(cancellationToken);
        try
        {
            if (_collections.ContainsKey(name))
            {
                throw RetrievalException.AlreadyExists($"collection '{name}' already exists");
            }

            // The encoder lock is held until the commit, so a named encoder cannot be deleted before the space pins it.
            await using var encoderLock = await LockEncodersAsync(spaces, cancellationToken);
            var bound = spaces.Select((s, i) => WithCanonicalIndex(BindEncoder(s, $"spaces[{i}]"))).ToList();
            var definition = new CollectionDefinition(name, bound, chosenDefault, now, now, storeInputs);
            await _store.CreateCollectionAsync(definition, cancellationToken);
            _collections[name] = new CollectionState(definition, _options.PayloadIndexes);
        }
        finally
        {
            _catalogGate.Release();
        }

        Log.CollectionCreated(_logger, name, string.Join(",", names));
        return Describe(_collections[name]);
    }

    public IReadOnlyList<CollectionInfo> ListCollections()
    {
        EnsureReady();
        return _collections.Values
            .Where(s => !s.IsDeleted)
            .Select(Describe)
            .OrderBy(c => c.Definition.Name, StringComparer.Ordinal)
            .ToList();
    }

    public CollectionInfo GetCollection(string name) => Describe(GetState(name, "name"));

    public async Task DeleteCollectionAsync(string name, CancellationToken cancellationToken)
    {
        var state = GetState(name, "name");
        await _catalogGate.WaitAsync(cancellationToken);
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            if (state.IsDeleted)
            {
                throw RetrievalException.NotFound($"collection '{name}' not found");
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

    /// <summary>Adds a space to a live collection; existing items have no vector in it until upserted.</summary>
    public async Task<CollectionInfo> AddSpaceAsync(string collection, SpaceDefinition space, CancellationToken cancellationToken)
    {
        space = ValidateSpace(space, "space");
        await using var encoderLock = await LockEncodersAsync([space], cancellationToken);
        return await ChangeDefinitionAsync(collection, current =>
        {
            if (current.FindSpace(space.Name) is not null)
            {
                throw RetrievalException.AlreadyExists($"space '{space.Name}' already exists in collection '{collection}'");
            }

            ValidatePrefix(space, current.Spaces, "space");

            return (current with { Spaces = [.. current.Spaces, WithCanonicalIndex(BindEncoder(space, "space"))] }, null);
        }, () => Log.SpaceAdded(_logger, collection, space.Name), cancellationToken);
    }

    /// <summary>Removes a space and its vectors. The default space cannot be removed.</summary>
    public Task<CollectionInfo> DeleteSpaceAsync(string collection, string space, CancellationToken cancellationToken) =>
        ChangeDefinitionAsync(collection, current =>
        {
            if (current.FindSpace(space) is null)
            {
                throw RetrievalException.NotFound($"space '{space}' not found in collection '{collection}'");
            }

            if (GetState(collection).Migration is { } migration && (migration.Row.FromSpace == space || migration.Row.ToSpace == space))
            {
                throw RetrievalException.Precondition($"space '{space}' takes part in open migration '{migration.Row.Id}'; retire or roll it back first");
            }

            if (current.DefaultSpace == space)
            {
                throw RetrievalException.Precondition($"space '{space}' is the default space of collection '{collection}'; make another space the default first");
            }

            // A prefix-compatible space is searched through the space it extends; removing that one would strand it.
            if (current.Spaces.FirstOrDefault(s => s.CompatiblePrefixOf == space) is { } dependent)
            {
                throw RetrievalException.Precondition($"space '{dependent.Name}' is declared compatiblePrefixOf '{space}'; delete it first");
            }

            return (current with { Spaces = current.Spaces.Where(s => s.Name != space).ToList() }, space);
        }, () => Log.SpaceRemoved(_logger, collection, space), cancellationToken);

    public Task<CollectionInfo> SetDefaultSpaceAsync(string collection, string space, CancellationToken cancellationToken) =>
        ChangeDefinitionAsync(collection, current =>
        {
            if (current.FindSpace(space) is null)
            {
                throw RetrievalException.Invalid("space", $"unknown space '{space}' in collection '{collection}'");
            }

            return (current with { DefaultSpace = space }, null);
        }, () => Log.DefaultSpaceChanged(_logger, collection, space), cancellationToken);

    private async Task<CollectionInfo> ChangeDefinitionAsync(
        string collection,
        Func<CollectionDefinition, (CollectionDefinition Updated, string? RemovedSpace)> change,
        Action logChange,
        CancellationToken cancellationToken)
    {
        var state = GetState(collection);
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            var (updated, removed) = change(state.Definition);
            updated = updated with { UpdatedAt = DateTimeOffset.UtcNow };
            await _store.UpdateCollectionAsync(updated, removed, cancellationToken);
            Mutate(state, s => s.Redefine(updated));
        }
        finally
        {
            state.WriteGate.Release();
        }

        logChange();
        return Describe(state);
    }

    private static CollectionInfo Describe(CollectionState state) =>
        Read(state, s => new CollectionInfo(s.Definition, s.Items.Count)
        {
            MultiVectorStats = s.MultiVectorSpaces.Values
                .Select(m => new MultiVectorSpaceStats(m.Definition.Name, m.Count, m.TokensReceived, m.VectorsKept))
                .OrderBy(m => m.Space, StringComparer.Ordinal)
                .ToList(),
        });

    /// <summary>A declared compatible prefix names another space of the collection that is no wider than this one.</summary>
    private static void ValidatePrefix(SpaceDefinition space, IReadOnlyList<SpaceDefinition> spaces, string field)
    {
        if (string.IsNullOrEmpty(space.CompatiblePrefixOf))
        {
            return;
        }

        var old = spaces.FirstOrDefault(s => s.Name == space.CompatiblePrefixOf && s.Name != space.Name)
            ?? throw RetrievalException.Invalid($"{field}.compatiblePrefixOf", $"'{space.CompatiblePrefixOf}' is not another space of the collection");
        if (space.IsMulti || old.IsMulti)
        {
            throw RetrievalException.Invalid($"{field}.compatiblePrefixOf", "prefix compatibility applies to dense spaces only");
        }

        if (old.Dimension > space.Dimension)
        {
            throw RetrievalException.Invalid($"{field}.compatiblePrefixOf", $"space '{old.Name}' has dimension {old.Dimension}, wider than this space's {space.Dimension}");
        }
    }

    // Stored and reported in the canonical spelling (HNSW32,SQ8; IVF64,PQ8x8); empty means none.
    private static SpaceDefinition WithCanonicalIndex(SpaceDefinition space) =>
        space with { Index = string.IsNullOrWhiteSpace(space.Index) ? null : IndexSpec.Parse(space.Index, IndexedDimension(space), "index").ToString() };

    /// <summary>
    /// Length of the vectors a space's index holds: its dimension, or for a (validated) multi-vector space the length
    /// of its MUVERA encodings, which is what its FDE index stores.
    /// </summary>
    private static int IndexedDimension(SpaceDefinition space) =>
        space is { IsMulti: true, MultiVector: { } multi } ? multi.Muvera.EncodedLength : space.Dimension;

    /// <summary>Validates a space; returns it as persisted (a multi-vector space gets its MUVERA state pinned).</summary>
    private static SpaceDefinition ValidateSpace(SpaceDefinition space, string field)
    {
        Names.ValidateName(space.Name, $"{field}.name");
        if (space.Dimension is < 1 or > SpaceDefinition.MaxDimension)
        {
            throw RetrievalException.Invalid($"{field}.dimension", $"must be between 1 and {SpaceDefinition.MaxDimension}, got {space.Dimension}");
        }

        if (!Enum.IsDefined(space.Metric))
        {
            throw RetrievalException.Invalid($"{field}.metric", "must be METRIC_INNER_PRODUCT, METRIC_COSINE or METRIC_L2");
        }

        if (!string.IsNullOrWhiteSpace(space.Index) && !space.IsMulti)
        {
            // A multi-vector space's spec is checked by MultiVectorSpaceValidator, against its encoded length.
            IndexSpec.Parse(space.Index, space.Dimension, $"{field}.index");
        }

        if (string.IsNullOrWhiteSpace(space.Model?.Name))
        {
            throw RetrievalException.Invalid($"{field}.model.name", "the model that produces the space's vectors is required");
        }

        if (space.Model.Name.Length > 256 || (space.Model.Version?.Length ?? 0) > 256)
        {
            throw RetrievalException.Invalid($"{field}.model", "model name and version are limited to 256 characters");
        }

        return MultiVectorSpaceValidator.Validate(space, field);
    }
}
