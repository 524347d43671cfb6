using System.Diagnostics;
using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Maps;

/// <summary>Two-sided pairs (issue 18 item 3): fitted and stored as two maps into a joint space, cost measured on the collection.</summary>
internal sealed partial class MapService
{
    /// <summary>Most stored old vectors the fit re-projects to measure the cost of re-projecting the whole gallery.</summary>
    public const int CostSampleVectors = 20_000;

    /// <summary>
    /// Fits a <see cref="MapKind.TwoSided"/> pair from <paramref name="from"/> (new) and <paramref name="to"/> (old) into the
    /// request's joint space, measures the gallery side's cost on the collection's stored old vectors, and stores both maps as
    /// drafts, each naming the other. Returns the query side (new → joint), which a re-projection migration names.
    /// </summary>
    private async Task<MapInfo> FitTwoSidedAsync(CollectionState state, SpaceDefinition from, SpaceDefinition to, MapFitRequest request, MapFitOptions options, CancellationToken cancellationToken)
    {
        if (request.Kind != MapKind.TwoSided)
        {
            var field = !string.IsNullOrEmpty(request.JointSpace) ? "jointSpace" : "jointRegularization";
            throw RetrievalException.Invalid(FieldPath.Of(field), "only applies to kind MAP_KIND_TWO_SIDED");
        }

        var joint = RequireSpace(state, request.JointSpace, FieldPath.Of("jointSpace"));
        if (joint.Name == from.Name || joint.Name == to.Name)
        {
            throw RetrievalException.Invalid(FieldPath.Of("jointSpace"), "must differ from fromSpace and toSpace: the joint space is a third space both sides map into");
        }

        var twoSided = new TwoSidedOptions { JointDimension = joint.Dimension, JointMetric = joint.Metric, Regularization = request.JointRegularization };
        var (anchors, evaluation, sample) = state.Read(s => (
            request.Anchors.Count > 0 ? InlineAnchors(request.Anchors, from, to) : AnchorSampler.Collect(s, from.Name, to.Name, request.MaxAnchors, options.Seed),
            EvaluationSetBuilder.Build(s, from, to, request.Evaluation),
            StoredVectors(s, to.Name, CostSampleVectors)));
        var (result, cost) = await Task.Run(
            () =>
            {
                var fitted = TwoSidedPipeline.Run(anchors, options, twoSided, evaluation);
                return (fitted, MeasureCost(fitted.Gallery.Map, sample, to.Dimension, joint));
            },
            cancellationToken);

        var now = DateTimeOffset.UtcNow;
        string queryId = NewMapId(), galleryId = NewMapId();
        MapReport Linked(MapReport report, string paired) =>
            report with { TwoSided = report.TwoSided! with { PairedMapId = paired, JointSpace = joint.Name, Cost = cost } };
        var query = new MapInfo(queryId, state.Definition.Name, from.Name, joint.Name, MapKind.TwoSided, MapState.Draft, Linked(result.Query.Report, galleryId), now, now);
        var gallery = new MapInfo(galleryId, state.Definition.Name, to.Name, joint.Name, MapKind.TwoSided, MapState.Draft, Linked(result.Gallery.Report, queryId), now, now);
        await state.Maps.Gate.WaitAsync(cancellationToken);
        try
        {
            // The gallery side first: a query side is never stored without the map it names.
            await _store.SaveMapAsync(ToStored(gallery, result.Gallery.Map), cancellationToken);
            state.Maps.Add(new RegisteredMap(gallery, result.Gallery.Map));
            await _store.SaveMapAsync(ToStored(query, result.Query.Map), cancellationToken);
            state.Maps.Add(new RegisteredMap(query, result.Query.Map));
        }
        finally
        {
            state.Maps.Gate.Release();
        }

        Log.MapFitted(_logger, state.Definition.Name, queryId, MapKind.TwoSided, from.Name, joint.Name, query.Report.Gate);
        Log.MapFitted(_logger, state.Definition.Name, galleryId, MapKind.TwoSided, to.Name, joint.Name, gallery.Report.Gate);
        return query;
    }

    /// <summary>
    /// A two-sided map routes into its joint space only once that space holds a vector for every item (the re-projection's
    /// cut-over activates the query side): a partly re-projected joint space would silently miss the rest of the collection.
    /// </summary>
    private static void RequireCompleteJointSpace(CollectionState state, MapInfo map)
    {
        if (map.Kind != MapKind.TwoSided)
        {
            return;
        }

        var (held, items) = state.Read(s => (s.CountIn(map.ToSpace), s.ItemCount));
        if (held < items)
        {
            throw RetrievalException.Precondition(
                $"map '{map.Id}' is a two-sided map into space '{map.ToSpace}', which holds vectors for {held} of {items} items; re-project the gallery into it first (a migration planned with settings.twoSidedMap), whose cut-over activates the query side");
        }
    }

    /// <summary>Up to <paramref name="limit"/> stored vectors of <paramref name="space"/>, row-major (caller holds the read lock).</summary>
    private static float[] StoredVectors(CollectionState state, string space, int limit)
    {
        var dimension = state.Definition.FindSpace(space)!.Dimension;
        var rows = new List<float[]>();
        foreach (var shard in state.Shards)
        {
            var index = shard.GetSpace(space);
            foreach (var slot in index.Slots())
            {
                if (rows.Count == limit)
                {
                    break;
                }

                rows.Add(index.VectorOf(slot).ToArray());
            }
        }

        var result = new float[rows.Count * dimension];
        for (var i = 0; i < rows.Count; i++)
        {
            rows[i].CopyTo(result, i * dimension);
        }

        return result;
    }

    /// <summary>
    /// Re-projects the sample exactly as the re-projection migration does (<see cref="SpaceProjection"/>, one vector at a
    /// time) on this thread, timing wall and thread CPU; null when the collection holds no old vectors to measure on.
    /// </summary>
    private static ReprojectionCost? MeasureCost(CompatibilityMap gallery, float[] sample, int dimension, SpaceDefinition joint)
    {
        var count = sample.Length / dimension;
        if (count == 0)
        {
            return null;
        }

        var normalize = joint.Metric == Metric.Cosine;
        var cpu = ThreadCpuClock.Now();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            SpaceProjection.Apply(gallery, sample.AsSpan(i * dimension, dimension), joint.Dimension, normalize);
        }

        var wall = watch.Elapsed.TotalSeconds;
        return new ReprojectionCost(count, wall, ThreadCpuClock.IsAvailable ? (ThreadCpuClock.Now() - cpu).TotalSeconds : wall);
    }
}
