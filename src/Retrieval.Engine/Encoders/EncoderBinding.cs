using Retrieval.Core.Encoders;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Encoders;

/// <summary>
/// Spaces bound to encoders: binding at space creation (the pinned version and checksum), the lock that keeps a named
/// encoder from being deleted before the space that names it is committed, and encoding raw inputs for writes and
/// searches.
/// </summary>
internal sealed class EncoderBinding
{
    /// <summary>No raw inputs.</summary>
    public static readonly IReadOnlyDictionary<string, RawInput> NoInputs = new Dictionary<string, RawInput>();

    private readonly ISpaceEncoders? _encoders;
    private readonly int _maxBatchItems;

    public EncoderBinding(ISpaceEncoders? encoders, int maxBatchItems)
    {
        _encoders = encoders;
        _maxBatchItems = maxBatchItems;
    }

    /// <summary>True when the server runs encoders.</summary>
    public bool Available => _encoders is not null;

    /// <summary>
    /// Encodes gallery inputs (not queries) with <paramref name="space"/>'s encoder: one vector each, in order. The
    /// vectors are not written; upsert them (for example, during a migration's backfill).
    /// </summary>
    public Task<IReadOnlyList<float[]>> EncodeAsync(CollectionDefinition definition, string space, IReadOnlyList<RawInput> inputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var encoder = EncoderOf(definition, space, "space", "space");
        return Require().EncodeAsync(encoder, inputs, isQuery: false, i => $"inputs[{i}]", cancellationToken);
    }

    /// <summary>
    /// Encodes a search's raw input with its space's encoder (as a query: the encoder's query prefix applies). An empty
    /// <paramref name="space"/> means the collection's default space.
    /// </summary>
    public async Task<float[]> EncodeQueryAsync(CollectionDefinition definition, string? space, RawInput input, string field, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var spaceName = string.IsNullOrEmpty(space) ? definition.DefaultSpace : space;
        var spaceField = field.Contains('.', StringComparison.Ordinal) ? field[..(field.LastIndexOf('.') + 1)] + "space" : "space";
        var encoder = EncoderOf(definition, spaceName, spaceField, field);
        var vectors = await Require().EncodeAsync(encoder, [input], isQuery: true, _ => field, cancellationToken);
        return vectors[0];
    }

    /// <summary>Holds encoder deletion off while spaces naming encoders are committed; nothing to hold when none does.</summary>
    public async Task<IAsyncDisposable?> LockAsync(IEnumerable<SpaceDefinition> spaces, CancellationToken cancellationToken) =>
        spaces.Any(s => s.Encoder is not null) ? await Require().LockAsync(cancellationToken) : null;

    /// <summary>Resolves each named encoder to the pinned version and checksum the space will store.</summary>
    public SpaceDefinition Bind(SpaceDefinition space, string field) =>
        space.Encoder is { } requested
            ? space with { Encoder = Require().Bind(requested, space, $"{field}.encoder") }
            : space;

    /// <summary>
    /// Replaces the raw inputs of an upsert batch by the vectors their spaces' encoders make (all inputs of a space in
    /// one call, so they share micro-batches), and keeps the inputs as <see cref="ItemWrite.RawInputs"/> only when the
    /// collection stores them. Returns the encoders used, which must still be the spaces' encoders at commit time.
    /// </summary>
    public async Task<(IReadOnlyList<ItemWrite> Items, IReadOnlyDictionary<string, EncoderRef> Used)> EncodeInputsAsync(
        CollectionDefinition definition, IReadOnlyList<ItemWrite> items, CancellationToken cancellationToken)
    {
        var empty = new Dictionary<string, EncoderRef>();
        if (!items.Any(i => i.RawInputs is { Count: > 0 }))
        {
            // With storeInputs, a plain vector replaces whatever input the space's vector came from before.
            return (items.Select(i => i with { RawInputs = definition.StoreInputs ? NoInputs : null }).ToList(), empty);
        }

        if (items.Count > _maxBatchItems)
        {
            throw RetrievalException.Invalid("items", $"{items.Count} items exceed the batch limit of {_maxBatchItems}");
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

        var encoders = Require();
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
    public static void EnsureEncodersUnchanged(CollectionDefinition current, IReadOnlyDictionary<string, EncoderRef> used)
    {
        foreach (var (space, encoder) in used)
        {
            if (current.FindSpace(space)?.Encoder != encoder)
            {
                throw RetrievalException.Unavailable($"space '{space}' changed while its inputs were encoded; retry the batch");
            }
        }
    }

    public static EncoderRef EncoderOf(CollectionDefinition definition, string space, string spaceField, string inputField)
    {
        var found = definition.FindSpace(space)
            ?? throw RetrievalException.Invalid(spaceField, $"unknown space '{space}' in collection '{definition.Name}'");
        return found.Encoder
            ?? throw RetrievalException.Invalid(inputField, $"space '{space}' has no encoder, so it takes vectors only; name an encoder when creating the space to send inputs");
    }

    private ISpaceEncoders Require() =>
        _encoders ?? throw RetrievalException.Precondition("this server runs no encoders");
}
