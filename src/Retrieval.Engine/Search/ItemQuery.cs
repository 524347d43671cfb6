using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Search;

/// <summary>
/// Search by item (Qdrant's recommend / query by id): the query takes the stored vector of <see cref="SearchQuery.ItemId"/>
/// in the query's space, and the item is dropped from its own hits.
/// </summary>
internal static class ItemQuery
{
    /// <summary>
    /// The query with the item's stored vector (dense) or token rows (multi-vector) in place of the sent vector; the
    /// query unchanged when it names no item. Caller holds the collection's read lock.
    /// </summary>
    public static SearchQuery Resolve(CollectionState state, SearchQuery query, SpaceDefinition space, FieldPath field)
    {
        if (string.IsNullOrEmpty(query.ItemId))
        {
            return query;
        }

        var id = query.ItemId;
        if (query.Vector.Length > 0 || query.Rows is not null)
        {
            throw RetrievalException.Invalid(field.Member("itemId"), "send either vector or itemId, not both");
        }

        if (!state.TryFind(id, out var shard, out var slot))
        {
            throw RetrievalException.NotFound($"itemId '{id}': no such item in collection '{state.Definition.Name}'");
        }

        var stored = space.IsMulti ? shard.GetMultiVectorSpace(space.Name).GetVector(slot) : shard.GetSpace(space.Name).GetVector(slot);
        if (stored is null)
        {
            throw RetrievalException.Precondition($"itemId '{id}' has no vector in space '{space.Name}' of collection '{state.Definition.Name}'");
        }

        if (!space.IsMulti)
        {
            return query with { Vector = stored };
        }

        var d = space.Dimension;
        var rows = new float[stored.Length / d][];
        for (var t = 0; t < rows.Length; t++)
        {
            rows[t] = stored.AsSpan(t * d, d).ToArray();
        }

        return query with { Vector = [], Rows = rows };
    }

    /// <summary>Removes the query's own item from its merged hits, keeping at most <paramref name="depth"/>.</summary>
    public static void Exclude(List<ShardHit> merged, string? itemId, int depth)
    {
        if (!string.IsNullOrEmpty(itemId))
        {
            var own = merged.FindIndex(hit => hit.Id == itemId);
            if (own >= 0)
            {
                merged.RemoveAt(own);
            }
        }

        if (merged.Count > depth)
        {
            merged.RemoveRange(depth, merged.Count - depth);
        }
    }
}
