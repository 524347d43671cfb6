using Retrieval.Core.Maps;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Maps;

/// <summary>
/// Anchors from the collection itself: the items that hold a vector in both spaces (the usual case: an operator
/// re-embedded a sample with the new model). Ordered by item id so that a seed picks the same sample after a restart.
/// </summary>
internal static class AnchorSampler
{
    /// <summary>Caller holds the collection's read lock.</summary>
    public static AnchorSet Collect(CollectionState state, string fromSpace, string toSpace, int maxAnchors, int seed)
    {
        var pairs = new List<(string Id, SpaceIndex From, SpaceIndex To, int Slot)>();
        foreach (var shard in state.Shards)
        {
            var from = shard.GetSpace(fromSpace);
            var to = shard.GetSpace(toSpace);
            foreach (var slot in from.Slots())
            {
                if (to.Contains(slot))
                {
                    pairs.Add((shard.Items[slot]!.Id, from, to, slot));
                }
            }
        }

        pairs.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        if (maxAnchors > 0 && pairs.Count > maxAnchors)
        {
            // Partial Fisher–Yates: a seeded uniform sample of maxAnchors pairs, then back to id order.
            var random = new Random(seed);
            for (var i = 0; i < maxAnchors; i++)
            {
                var j = random.Next(i, pairs.Count);
                (pairs[i], pairs[j]) = (pairs[j], pairs[i]);
            }

            pairs.RemoveRange(maxAnchors, pairs.Count - maxAnchors);
            pairs.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        }

        var dn = state.Definition.FindSpace(fromSpace)!.Dimension;
        var dOld = state.Definition.FindSpace(toSpace)!.Dimension;
        var newVectors = new float[pairs.Count * dn];
        var oldVectors = new float[pairs.Count * dOld];
        for (var i = 0; i < pairs.Count; i++)
        {
            pairs[i].From.VectorOf(pairs[i].Slot).CopyTo(newVectors.AsSpan(i * dn));
            pairs[i].To.VectorOf(pairs[i].Slot).CopyTo(oldVectors.AsSpan(i * dOld));
        }

        return new AnchorSet(newVectors, dn, oldVectors, dOld);
    }
}
