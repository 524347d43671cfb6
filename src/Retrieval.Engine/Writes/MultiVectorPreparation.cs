using Microsoft.Extensions.Logging;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.MultiVector;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Writes;

/// <summary>
/// The multi-vector part of a write, done before the store commit and outside the collection lock: pinning a learned
/// SimHash center on the first write, and pruning and encoding each item's token vectors.
/// </summary>
internal sealed class MultiVectorPreparation
{
    private readonly ICatalogStore _store;
    private readonly ILogger _logger;

    public MultiVectorPreparation(ICatalogStore store, ILogger logger)
    {
        _store = store;
        _logger = logger;
    }

    /// <summary>
    /// The first write to a multi-vector space that learns its SimHash center pins the center before anything is
    /// encoded: the mean of the batch's first tokens in that space, persisted with the space definition (the store
    /// write precedes the item commit, so no FDE is ever made with another center; should the item commit then fail,
    /// the center stays pinned from a batch that was not written). Every shard's index shares the space's settings,
    /// so the first shard's says whether one is awaited. Caller holds the write gate.
    /// </summary>
    public async Task PinLearnedCentersAsync(CollectionState state, List<ItemWrite> items, CancellationToken cancellationToken)
    {
        var pending = state.Shards[0].MultiVectorSpaces.Values.Where(m => m.Settings.AwaitsCenter).ToList();
        var pinned = new List<SpaceDefinition>();
        foreach (var multi in pending)
        {
            var name = multi.Definition.Name;
            var rows = items.Where(item => item.Vectors.ContainsKey(name)).Select(item => item.Vectors[name]).ToList();
            if (rows.Count > 0)
            {
                pinned.Add(multi.WithLearnedCenter(rows));
            }
        }

        if (pinned.Count == 0)
        {
            return;
        }

        var current = state.Definition;
        var updated = current with
        {
            Spaces = [.. current.Spaces.Select(s => pinned.FirstOrDefault(p => p.Name == s.Name) ?? s)],
            Version = current.Version + 1,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        await _store.UpdateCollectionAsync(updated, null, cancellationToken);
        state.Write(s => s.Redefine(updated));
        foreach (var space in pinned)
        {
            Log.CenterLearned(_logger, current.Name, space.Name, space.MultiVector!.LearnCenterTokens!.Value);
        }
    }

    /// <summary>
    /// Prunes and encodes the batch's multi-vectors before the store write, in parallel and outside the collection
    /// lock, so readers never wait for k-means or FDE encoding. Each item is prepared by its own shard's index (they
    /// share the space's encoder). Caller holds the write gate (the spaces cannot change).
    /// </summary>
    public static Dictionary<(string Id, string Space), PreparedMultiVector>? Prepare(CollectionState state, List<ItemWrite> items)
    {
        if (state.Shards[0].MultiVectorSpaces.Count == 0)
        {
            return null;
        }

        var work = items
            .SelectMany(item => item.Vectors
                .Where(v => state.Shards[0].MultiVectorSpaces.ContainsKey(v.Key))
                .Select(v => (item.Id, Space: v.Key, Rows: v.Value, Index: state.ShardOf(item.Id).GetMultiVectorSpace(v.Key))))
            .ToArray();
        var results = new PreparedMultiVector[work.Length];
        Parallel.For(0, work.Length, i => results[i] = work[i].Index.Prepare(work[i].Rows));
        var prepared = new Dictionary<(string Id, string Space), PreparedMultiVector>(work.Length);
        for (var i = 0; i < work.Length; i++)
        {
            prepared[(work[i].Id, work[i].Space)] = results[i];
        }

        return prepared;
    }
}
