using Retrieval.Core.Errors;
using Retrieval.Engine.Indexes;

namespace Retrieval.Engine;

public sealed partial class RetrievalEngine
{
    /// <summary>
    /// Sets or changes (null or empty: removes) the approximate index of a space on a live collection. Returns at once:
    /// the optimizer builds the new index in the background while searches keep using the old segments.
    /// </summary>
    public async Task<CollectionInfo> SetSpaceIndexAsync(string collection, string space, string? index, CancellationToken cancellationToken)
    {
        var info = await ChangeDefinitionAsync(collection, current =>
        {
            var definition = current.FindSpace(space)
                ?? throw RetrievalException.NotFound($"space '{space}' not found in collection '{collection}'");
            // A multi-vector space's index holds its FDEs: the spec is checked against the encoded length.
            var canonical = string.IsNullOrWhiteSpace(index) ? null : IndexSpec.Parse(index, IndexedDimension(definition), "index").ToString();
            var updated = definition with { Index = canonical };
            return (current with { Spaces = [.. current.Spaces.Select(s => s.Name == space ? updated : s)] }, null);
        }, () => Log.IndexSpecChanged(_logger, collection, space, string.IsNullOrWhiteSpace(index) ? "exact" : index), cancellationToken);
        _optimizer.Wake();
        return info;
    }

    /// <summary>How a space is indexed right now: its segments, how many vectors are indexed, the build in progress.</summary>
    public SpaceIndexStatus GetSpaceIndexStatus(string collection, string space)
    {
        var state = GetState(collection);
        return Read(state, s =>
        {
            if (s.Definition.FindSpace(space) is null)
            {
                throw RetrievalException.NotFound($"space '{space}' not found in collection '{collection}'");
            }

            return SpaceIndexStatus.Of(s.MultiVectorSpaces.TryGetValue(space, out var multi) ? multi.Fdes : s.GetSpace(space));
        });
    }

    /// <summary>Runs optimizer jobs until none is left (tests and benchmarks use it to wait for builds deterministically).</summary>
    public void RunOptimizerUntilIdle(CancellationToken cancellationToken)
    {
        EnsureReady();
        while (_optimizer.RunOneJob(cancellationToken))
        {
        }
    }
}
