using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;
using Retrieval.Engine.State;
using Retrieval.Engine.Validation;

namespace Retrieval.Engine.Maps;

/// <summary>
/// Turns evaluation queries with relevant item ids into an <see cref="EvaluationSet"/> whose gallery is every vector of
/// the collection's old (target) space: the index the mapped queries will really search.
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
            var field = $"evaluation.queries[{q}]";
            VectorValidator.Validate(queries[q].NewVector, from, $"{field}.newVector").CopyTo(newQueries, q * from.Dimension);
            VectorValidator.Validate(queries[q].OldVector, to, $"{field}.oldVector").CopyTo(oldQueries, q * to.Dimension);
            if (queries[q].RelevantIds.Count == 0)
            {
                throw RetrievalException.Invalid($"{field}.relevantIds", "at least one relevant item id is required");
            }

            var rows = new List<int>(queries[q].RelevantIds.Count);
            foreach (var id in queries[q].RelevantIds)
            {
                rows.Add(rowOfId.TryGetValue(id, out var row)
                    ? row
                    : throw RetrievalException.Invalid($"{field}.relevantIds", $"item '{id}' has no vector in space '{to.Name}'"));
            }

            relevant.Add(rows);
        }

        var galleryVectors = new float[gallerySlots.Length * to.Dimension];
        for (var row = 0; row < gallerySlots.Length; row++)
        {
            gallerySlots[row].Shard.GetSpace(to.Name).VectorOf(gallerySlots[row].Slot).CopyTo(galleryVectors.AsSpan(row * to.Dimension));
        }

        return new EvaluationSet(newQueries, from.Dimension, oldQueries, galleryVectors, to.Dimension, relevant);
    }
}
