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
        var encoder = EncoderOf(definition, space, FieldPath.Of("space"), FieldPath.Of("space"));
        if (definition.FindSpace(space) is { IsMulti: true })
        {
            throw RetrievalException.Invalid(FieldPath.Of("space"), $"space '{space}' is multi-vector: its inputs encode to token rows, not one vector");
        }

        return Require().EncodeAsync(encoder, inputs, isQuery: false, i => FieldPath.Of("inputs").Index(i), cancellationToken);
    }

    /// <summary>
    /// Encodes a search's raw input with its space's encoder (as a query: the encoder's query prefix applies). An empty
    /// <paramref name="space"/> means the collection's default space. <paramref name="query"/> is where the search sits
    /// in its request (the root for a single search): errors name its <c>space</c> and <c>input</c> fields.
    /// </summary>
    public async Task<EncodedQuery> EncodeQueryAsync(CollectionDefinition definition, string? space, RawInput input, FieldPath query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(query);
        var spaceName = string.IsNullOrEmpty(space) ? definition.DefaultSpace : space;
        var inputField = query.Member("input");
        var encoder = EncoderOf(definition, spaceName, query.Member("space"), inputField);
        if (definition.FindSpace(spaceName) is { MultiVector: { } multi })
        {
            // A multi space's query is its token rows, made with the query side of the encoder (its query prefix).
            var rows = await Require().EncodeTokensAsync(encoder, [input], isQuery: true, multi.DropTokens, _ => inputField, cancellationToken);
            return new EncodedQuery([], rows[0]);
        }

        var vectors = await Require().EncodeAsync(encoder, [input], isQuery: true, _ => inputField, cancellationToken);
        return new EncodedQuery(vectors[0], null);
    }

    /// <summary>Reads the registered encoders again where other nodes register them too (see <see cref="ISpaceEncoders.RefreshAsync"/>).</summary>
    public Task RefreshAsync(CancellationToken cancellationToken) => _encoders?.RefreshAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>Holds encoder deletion off while spaces naming encoders are committed; nothing to hold when none does.</summary>
    public async Task<IAsyncDisposable?> LockAsync(IEnumerable<SpaceDefinition> spaces, CancellationToken cancellationToken) =>
        spaces.Any(s => s.Encoder is not null) ? await Require().LockAsync(cancellationToken) : null;

    /// <summary>Resolves each named encoder to the pinned version and checksum the space will store.</summary>
    public SpaceDefinition Bind(SpaceDefinition space, FieldPath field) =>
        space.Encoder is { } requested
            ? space with { Encoder = Require().Bind(requested, space, field.Member("encoder")) }
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
            throw RetrievalException.Invalid(FieldPath.Of("items"), $"{items.Count} items exceed the batch limit of {_maxBatchItems}");
        }

        var perSpace = new Dictionary<string, List<(int Item, RawInput Input)>>(StringComparer.Ordinal);
        var used = new Dictionary<string, EncoderRef>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            foreach (var (space, input) in items[i].RawInputs ?? NoInputs)
            {
                var field = FieldPath.Of("items").Index(i).Member("inputs").Key(space);
                used[space] = EncoderOf(definition, space, field, field);
                if (items[i].Vectors.ContainsKey(space) || items[i].MultiVectors?.ContainsKey(space) == true)
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
        var tokenRows = items.Select(i => i.MultiVectors is null ? null : new Dictionary<string, IReadOnlyList<float[]>>(i.MultiVectors, StringComparer.Ordinal)).ToArray();
        var runs = perSpace.Select(async pair =>
        {
            var (space, list) = (pair.Key, pair.Value);
            var inputs = list.ConvertAll(x => x.Input);
            FieldPath FieldOf(int j) => FieldPath.Of("items").Index(list[j].Item).Member("inputs").Key(space);
            if (definition.FindSpace(space)?.MultiVector is { } multi)
            {
                // Document side of a multi encoder: token rows, which then take the token-row path (validation,
                // pruning, FDE) exactly as rows sent by a client.
                var rows = await encoders.EncodeTokensAsync(used[space], inputs, isQuery: false, multi.DropTokens, FieldOf, cancellationToken);
                return (space, list, Vectors: (IReadOnlyList<float[]>?)null, Rows: rows);
            }

            var encoded = await encoders.EncodeAsync(used[space], inputs, isQuery: false, FieldOf, cancellationToken);
            return (space, list, Vectors: encoded, Rows: (IReadOnlyList<IReadOnlyList<float[]>>?)null);
        }).ToList();
        foreach (var (space, list, encoded, rows) in await Task.WhenAll(runs))
        {
            for (var j = 0; j < list.Count; j++)
            {
                var item = list[j].Item;
                if (rows is not null)
                {
                    (tokenRows[item] ??= new Dictionary<string, IReadOnlyList<float[]>>(StringComparer.Ordinal))[space] = rows[j];
                }
                else
                {
                    vectors[item][space] = encoded![j];
                }
            }
        }

        var written = items.Select((item, i) => item with
        {
            Vectors = vectors[i],
            MultiVectors = tokenRows[i],
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

    public static EncoderRef EncoderOf(CollectionDefinition definition, string space, FieldPath spaceField, FieldPath inputField)
    {
        var found = definition.FindSpace(space)
            ?? throw RetrievalException.Invalid(spaceField, $"unknown space '{space}' in collection '{definition.Name}'");
        return found.Encoder
            ?? throw RetrievalException.Invalid(inputField, $"space '{space}' has no encoder, so it takes vectors only; name an encoder when creating the space to send inputs");
    }

    private ISpaceEncoders Require() =>
        _encoders ?? throw RetrievalException.Precondition("this server runs no encoders");
}
