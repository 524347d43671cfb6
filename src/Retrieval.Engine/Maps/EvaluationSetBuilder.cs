using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;
using Retrieval.Engine.State;
using Retrieval.Engine.Validation;

namespace Retrieval.Engine.Maps;

/// <summary>
/// Turns evaluation queries with relevant item ids into an <see cref="EvaluationSet"/> whose gallery is every vector of
/// the collection's old (target) space: the index the mapped queries will really search. When every one of those items
/// also holds a vector in the new (from) space, the set carries them too and new→new is measured on the same items.
/// </summary>
internal static class EvaluationSetBuilder
{
    /// <summary>Caller holds the collection's read lock. Null when no queries were given.</summary>
    public static EvaluationSet? Build(CollectionState state, SpaceDefinition from, SpaceDefinition to, IReadOnlyList<MapEvaluationQuery> queries)
    {
        if (queries.Count == 0)
        {
            return null;
        }

        // Gallery row r is the r-th vector in the space's enumeration order, shard after shard.
        var gallerySlots = state.Shards.SelectMany(shard => shard.GetSpace(to.Name).Slots().Select(slot => (Shard: shard, Slot: slot))).ToArray();
        var rowOfId = new Dictionary<string, int>(gallerySlots.Length, StringComparer.Ordinal);
        for (var row = 0; row < gallerySlots.Length; row++)
        {
            rowOfId[gallerySlots[row].Shard.Items[gallerySlots[row].Slot]!.Id] = row;
        }

        var newQueries = new float[queries.Count * from.Dimension];
        var oldQueries = new float[queries.Count * to.Dimension];
        var relevant = new List<IReadOnlyList<int>>(queries.Count);
        for (var q = 0; q < queries.Count; q++)
        {
            var field = FieldPath.Of("evaluation").Member("queries").Index(q);
            VectorValidator.Validate(queries[q].NewVector, from, field.Member("newVector")).CopyTo(newQueries, q * from.Dimension);
            VectorValidator.Validate(queries[q].OldVector, to, field.Member("oldVector")).CopyTo(oldQueries, q * to.Dimension);
            if (queries[q].RelevantIds.Count == 0)
            {
                throw RetrievalException.Invalid(field.Member("relevantIds"), "at least one relevant item id is required");
            }

            var rows = new List<int>(queries[q].RelevantIds.Count);
            foreach (var id in queries[q].RelevantIds)
            {
                rows.Add(rowOfId.TryGetValue(id, out var row)
                    ? row
                    : throw RetrievalException.Invalid(field.Member("relevantIds"), $"item '{id}' has no vector in space '{to.Name}'"));
            }

            relevant.Add(rows);
        }

        var galleryVectors = new float[gallerySlots.Length * to.Dimension];
        for (var row = 0; row < gallerySlots.Length; row++)
        {
            gallerySlots[row].Shard.GetSpace(to.Name).VectorOf(gallerySlots[row].Slot).CopyTo(galleryVectors.AsSpan(row * to.Dimension));
        }

        var newGallery = NewGallery(state, gallerySlots, from);
        return newGallery is null
            ? new EvaluationSet(newQueries, from.Dimension, oldQueries, galleryVectors, to.Dimension, relevant)
            : new EvaluationSet(newQueries, from.Dimension, oldQueries, galleryVectors, to.Dimension, relevant, newGallery, from.Metric);
    }

    /// <summary>
    /// The new-space vectors of the gallery's items, row for row; null unless every gallery item holds a native one.
    /// </summary>
    /// <remarks>
    /// A partly filled new space (before or during the backfill) gives no new→new figure rather than one on the items
    /// that happen to hold a new vector: a smaller gallery has fewer distractors and so scores higher, and a relevant item
    /// without a new vector can only be a miss, so that figure would be neither the new model's quality nor comparable with
    /// old→old and mapped new→old, which rank every item. With the same items in both galleries, the three figures differ
    /// only by the model and the map. A vector an open migration derived from the old one through its inverse map is no
    /// new-model embedding either, so it counts as missing.
    /// </remarks>
    private static float[]? NewGallery(CollectionState state, (Shard Shard, int Slot)[] gallerySlots, SpaceDefinition from)
    {
        var migration = state.Migration is { } open && open.Row.ToSpace == from.Name ? open : null;
        var vectors = new float[gallerySlots.Length * from.Dimension];
        for (var row = 0; row < gallerySlots.Length; row++)
        {
            var (shard, slot) = gallerySlots[row];
            var space = shard.GetSpace(from.Name);
            var native = migration?.IsNative(shard, slot) ?? space.Contains(slot);
            if (!native)
            {
                return null;
            }

            space.VectorOf(slot).CopyTo(vectors.AsSpan(row * from.Dimension));
        }

        return vectors;
    }
}
