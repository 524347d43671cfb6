using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;
using Retrieval.Engine.State;
using Retrieval.Engine.Validation;

namespace Retrieval.Engine.Reads;

/// <summary>
/// Reads of items: by id (from the item's shard), pages in ordinal id order (merged over the shards), counts, and the
/// raw inputs the store of record keeps for them.
/// </summary>
internal sealed class ItemReader
{
    private readonly CollectionCatalog _catalog;
    private readonly IRawInputStore _store;
    private readonly EngineOptions _options;

    public ItemReader(CollectionCatalog catalog, IRawInputStore store, EngineOptions options)
    {
        _catalog = catalog;
        _store = store;
        _options = options;
    }

    /// <summary>The items with the given ids, in request order; unknown ids are left out.</summary>
    public IReadOnlyList<ItemView> GetItems(string collection, IReadOnlyList<string> ids, bool withVectors)
    {
        WriteValidator.ValidateIds(ids, FieldPath.Of("ids"), _options);
        var state = _catalog.Get(collection);
        return state.Read(s =>
        {
            var items = new List<ItemView>(ids.Count);
            foreach (var id in ids)
            {
                if (s.TryFind(id, out var shard, out var slot))
                {
                    items.Add(View(shard, slot, withVectors));
                }
            }

            return items;
        });
    }

    /// <summary>A page of items in ascending ordinal id order, optionally filtered.</summary>
    public ScrollPage Scroll(string collection, PayloadFilter? filter, int limit, string? cursor, bool withVectors)
    {
        if (limit < 0 || limit > _options.MaxScrollLimit)
        {
            throw RetrievalException.Invalid(FieldPath.Of("limit"), $"must be between 1 and {_options.MaxScrollLimit}");
        }

        var pageSize = limit == 0 ? 100 : limit;
        var after = ScrollCursor.Decode(cursor);
        var state = _catalog.Get(collection);
        return state.Read(s =>
        {
            var page = new List<ItemView>((int)Math.Min(pageSize, s.ItemCount));
            var matching = filter is null || filter.IsEmpty ? null : s.Shards.Select(shard => shard.MatchingSlots(filter)).ToArray();
            foreach (var (_, shard, slot) in s.ItemsInIdOrder(after))
            {
                if (matching is not null && !matching[shard.Number].Contains(slot))
                {
                    continue;
                }

                if (page.Count == pageSize)
                {
                    // One more match exists: the page is full and a next page follows.
                    return new ScrollPage(page, ScrollCursor.Encode(page[^1].Id));
                }

                page.Add(View(shard, slot, withVectors));
            }

            return new ScrollPage(page, null);
        });
    }

    /// <summary>Number of items, or of items matching <paramref name="filter"/>.</summary>
    public long Count(string collection, PayloadFilter? filter)
    {
        var state = _catalog.Get(collection);
        return state.Read(s => filter is null || filter.IsEmpty ? s.ItemCount : s.Matching(filter).LongCount());
    }

    /// <summary>
    /// The MUVERA document encoding an item is indexed under in a multi-vector space, or null when the item has no
    /// multi-vector there. For diagnostics and the restart tests: encodings are derived state, rebuilt at start-up, and
    /// must come back bit for bit.
    /// </summary>
    public float[]? GetMultiVectorEncoding(string collection, string space, string id)
    {
        var state = _catalog.Get(collection);
        return state.Read(s => s.TryFind(id, out var shard, out var slot) && shard.MultiVectorSpaces.TryGetValue(space, out var multi)
            ? multi.GetEncoding(slot)
            : null);
    }

    /// <summary>
    /// Reads the raw inputs stored for <paramref name="ids"/> in <paramref name="space"/> (the input each item's vector
    /// in that space was encoded from), for collections created with <c>storeInputs</c>. Ids without one are left out.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, RawInput>> ReadRawInputsAsync(
        string collection, string space, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var state = _catalog.Get(collection);
        if (state.Definition.FindSpace(space) is null)
        {
            throw RetrievalException.Invalid(FieldPath.Of("space"), $"unknown space '{space}' in collection '{collection}'");
        }

        if (!state.Definition.StoreInputs)
        {
            throw RetrievalException.Precondition($"collection '{collection}' was created without storeInputs; it keeps no raw inputs");
        }

        WriteValidator.ValidateIds(ids, FieldPath.Of("ids"), _options);
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
        var state = _catalog.Get(collection);
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

    private static ItemView View(Shard shard, int slot, bool withVectors)
    {
        var item = shard.Items[slot]!;
        return new ItemView(item.Id, item.PayloadJson, withVectors ? shard.VectorsOf(slot) : null);
    }
}
