using Retrieval.Core.Encoders;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.State;
using Retrieval.Engine.Validation;

namespace Retrieval.Engine;

/// <summary>
/// Spaces bound to encoders: binding at space creation, encoding raw inputs on upsert and search, and the two
/// calls a model-upgrade migration needs (read an item's stored raw input, encode inputs with a space's encoder).
/// </summary>
public sealed partial class RetrievalEngine
{
    private static readonly IReadOnlyDictionary<string, RawInput> NoInputs = new Dictionary<string, RawInput>();

    /// <summary>
    /// Reads the raw inputs stored for <paramref name="ids"/> in <paramref name="space"/> (the input each item's vector
    /// in that space was encoded from), for collections created with <c>storeInputs</c>. Ids without one are left
    /// out. A migration re-encodes these with the new space's encoder through <see cref="EncodeAsync"/>.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, RawInput>> ReadRawInputsAsync(
        string collection, string space, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var state = GetState(collection);
        if (state.Definition.FindSpace(space) is null)
        {
            throw RetrievalException.Invalid("space", $"unknown space '{space}' in collection '{collection}'");
        }

        if (!state.Definition.StoreInputs)
        {
            throw RetrievalException.Precondition($"collection '{collection}' was created without storeInputs; it keeps no raw inputs");
        }

        WriteValidator.ValidateIds(ids, "ids", _options);
        var stored = await _store.GetRawInputsAsync(collection, ids, space, cancellationToken);
        return stored.ToDictionary(r => r.ItemId, r => r.Input, StringComparer.Ordinal);
    }

    /// <summary>
    /// The raw inputs stored for <paramref name="ids"/>, by item id and then by space, for reads that ask for them
    /// (<c>with_inputs</c>). FAILED_PRECONDITION for a collection created without <c>storeInputs</c>: it keeps none,
    /// and an empty answer would read as inputs that were lost.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, RawInput>>> ReadItemInputsAsync(
        string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var state = GetState(collection);
        if (!state.Definition.StoreInputs)
        {
            throw RetrievalException.Precondition($"with_inputs: collection '{collection}' was created without storeInputs; it keeps no raw inputs");
        }

        if (ids.Count == 0)
        {
            return new Dictionary<string, IReadOnlyDictionary<string, RawInput>>();
        }

        var stored = await _store.GetRawInputsAsync(collection, ids, space: null, cancellationToken);
        return stored.GroupBy(r => r.ItemId, StringComparer.Ordinal).ToDictionary(
            g => g.Key,
            g => (IReadOnlyDictionary<string, RawInput>)g.ToDictionary(r => r.Space, r => r.Input, StringComparer.Ordinal),
            StringComparer.Ordinal);
    }

    /// <summary>
    /// Encodes gallery inputs (not queries) with <paramref name="space"/>'s encoder: one vector each, in order. The
    /// vectors are not written; upsert them (for example, during a migration's backfill).
    /// </summary>
    public Task<IReadOnlyList<float[]>> EncodeAsync(string collection, string space, IReadOnlyList<RawInput> inputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var definition = GetState(collection).Definition;
        var encoder = EncoderOf(definition, space, "space", "space");
        return RequireEncoders().EncodeAsync(encoder, inputs, isQuery: false, i => $"inputs[{i}]", cancellationToken);
    }

    /// <summary>
    /// Encodes a search's raw input with its space's encoder (as a query: the encoder's query prefix applies). An empty
    /// <paramref name="space"/> means the collection's default space.
    /// </summary>
    public async Task<float[]> EncodeQueryAsync(string collection, string? space, RawInput input, string field, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var definition = GetState(collection).Definition;
        var spaceName = string.IsNullOrEmpty(space) ? definition.DefaultSpace : space;
        var spaceField = field.Contains('.', StringComparison.Ordinal) ? field[..(field.LastIndexOf('.') + 1)] + "space" : "space";
        var encoder = EncoderOf(definition, spaceName, spaceField, field);
        var vectors = await RequireEncoders().EncodeAsync(encoder, [input], isQuery: true, _ => field, cancellationToken);
        return vectors[0];
    }

    /// <summary>Every "collection/space" whose space names this encoder version: the registry refuses to delete it while any does.</summary>
    public IReadOnlyList<string> EncoderUsers(string name, string version)
    {
        EnsureReady();
        return _collections.Values
            .Where(s => !s.IsDeleted)
            .SelectMany(s => s.Definition.Spaces
                .Where(space => space.Encoder is { } e && e.Name == name && e.Version == version)
                .Select(space => $"{s.Definition.Name}/{space.Name}"))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Holds encoder deletion off while spaces naming encoders are committed; nothing to hold when none does.</summary>
    private async Task<IAsyncDisposable?> LockEncodersAsync(IEnumerable<SpaceDefinition> spaces, CancellationToken cancellationToken) =>
        spaces.Any(s => s.Encoder is not null) ? await RequireEncoders().LockAsync(cancellationToken) : null;

    /// <summary>Resolves each named encoder to the pinned version and checksum the space will store.</summary>
    private SpaceDefinition BindEncoder(SpaceDefinition space, string field) =>
        space.Encoder is { } requested
            ? space with { Encoder = RequireEncoders().Bind(requested, space, $"{field}.encoder") }
            : space;

    /// <summary>
    /// Replaces the raw inputs of an upsert batch by the vectors their spaces' encoders make (all inputs of a space in
    /// one call, so they share micro-batches), and keeps the inputs as <see cref="ItemWrite.RawInputs"/> only when the
    /// collection stores them. Returns the encoders used, which must still be the spaces' encoders at commit time.
    /// </summary>
    private async Task<(IReadOnlyList<ItemWrite> Items, IReadOnlyDictionary<string, EncoderRef> Used)> EncodeInputsAsync(
        CollectionState state, IReadOnlyList<ItemWrite> items, CancellationToken cancellationToken)
    {
        var definition = state.Definition;
        var empty = new Dictionary<string, EncoderRef>();
        if (!items.Any(i => i.RawInputs is { Count: > 0 }))
        {
            // With storeInputs, a plain vector replaces whatever input the space's vector came from before.
            return (items.Select(i => i with { RawInputs = definition.StoreInputs ? NoInputs : null }).ToList(), empty);
        }

        if (items.Count > _options.MaxBatchItems)
        {
            throw RetrievalException.Invalid("items", $"{items.Count} items exceed the batch limit of {_options.MaxBatchItems}");
        }

        var perSpace = new Dictionary<string, List<(int Item, RawInput Input)>>(StringComparer.Ordinal);
        var used = new Dictionary<string, EncoderRef>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            foreach (var (space, input) in items[i].RawInputs ?? NoInputs)
            {
                var field = $"items[{i}].inputs.{space}";
                used[space] = EncoderOf(definition, space, field, field);
                if (items[i].Vectors.ContainsKey(space))
                {
                    throw RetrievalException.Invalid(field, $"space '{space}' has both a vector and an input; send one of them");
                }

                if (!perSpace.TryGetValue(space, out var list))
                {
                    perSpace[space] = list = [];
                }

                list.Add((i, input));
            }
        }

        var encoders = RequireEncoders();
        var vectors = items.Select(i => new Dictionary<string, float[]>(i.Vectors, StringComparer.Ordinal)).ToArray();
        var runs = perSpace.Select(async pair =>
        {
            var (space, list) = (pair.Key, pair.Value);
            var encoded = await encoders.EncodeAsync(
                used[space], list.ConvertAll(x => x.Input), isQuery: false, j => $"items[{list[j].Item}].inputs.{space}", cancellationToken);
            return (space, list, encoded);
        }).ToList();
        foreach (var (space, list, encoded) in await Task.WhenAll(runs))
        {
            for (var j = 0; j < list.Count; j++)
            {
                vectors[list[j].Item][space] = encoded[j];
            }
        }

        var written = items.Select((item, i) => item with
        {
            Vectors = vectors[i],
            RawInputs = definition.StoreInputs ? item.RawInputs ?? NoInputs : null,
        }).ToList();
        return (written, used);
    }

    /// <summary>Encoding ran outside the write gate; refuse the batch if a space it encoded for changed encoder meanwhile.</summary>
    private static void EnsureEncodersUnchanged(CollectionDefinition current, IReadOnlyDictionary<string, EncoderRef> used)
    {
        foreach (var (space, encoder) in used)
        {
            if (current.FindSpace(space)?.Encoder != encoder)
            {
                throw RetrievalException.Unavailable($"space '{space}' changed while its inputs were encoded; retry the batch");
            }
        }
    }

    private static EncoderRef EncoderOf(CollectionDefinition definition, string space, string spaceField, string inputField)
    {
        var found = definition.FindSpace(space)
            ?? throw RetrievalException.Invalid(spaceField, $"unknown space '{space}' in collection '{definition.Name}'");
        return found.Encoder
            ?? throw RetrievalException.Invalid(inputField, $"space '{space}' has no encoder, so it takes vectors only; name an encoder when creating the space to send inputs");
    }

    private ISpaceEncoders RequireEncoders() =>
        _encoders ?? throw RetrievalException.Precondition("this server runs no encoders");
}
