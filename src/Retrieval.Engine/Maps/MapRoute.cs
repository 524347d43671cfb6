using System.Numerics.Tensors;
using Retrieval.Core.Maps;

namespace Retrieval.Engine.Maps;

/// <summary>
/// A path of active maps from a query space to a target space, composed once: consecutive maps are folded into one with
/// <see cref="CompatibilityMap.Compose"/>; where the composition is not exactly one map (a re-normalizing map before a
/// shifted one, two residual maps) the stages stay separate and are applied in sequence, which is the same function.
/// </summary>
internal sealed class MapRoute
{
    private readonly IReadOnlyList<CompatibilityMap> _stages;

    private MapRoute(IReadOnlyList<string> mapIds, string targetSpace, IReadOnlyList<CompatibilityMap> stages)
    {
        MapIds = mapIds;
        TargetSpace = targetSpace;
        _stages = stages;
    }

    /// <summary>The space the path ends in.</summary>
    public string TargetSpace { get; }

    /// <summary>Ids of the maps on the path, in application order.</summary>
    public IReadOnlyList<string> MapIds { get; }

    /// <summary>Number of separately applied stages (1 when the whole path composed into one map).</summary>
    public int StageCount => _stages.Count;

    public static MapRoute Compose(IReadOnlyList<RegisteredMap> path)
    {
        var stages = new List<CompatibilityMap>();
        var current = path[0].Map;
        for (var i = 1; i < path.Count; i++)
        {
            try
            {
                current = CompatibilityMap.Compose(current, path[i].Map);
            }
            catch (NotSupportedException)
            {
                stages.Add(current);
                current = path[i].Map;
            }
        }

        stages.Add(current);
        return new MapRoute(path.Select(m => m.Info.Id).ToList(), path[^1].Info.ToSpace, stages);
    }

    /// <summary>Maps a query vector into the target space: its compatible prefix, re-normalized when <paramref name="normalize"/>.</summary>
    public float[] Apply(float[] vector, bool normalize)
    {
        ReadOnlySpan<float> x = vector;
        float[] y = [];
        foreach (var stage in _stages)
        {
            y = new float[stage.OutputDimension];
            stage.Apply(x, y);

            // An extend map's extra coordinates carry the new model's own dimensions; the next space reads the prefix.
            x = y.AsSpan(0, stage.CompatiblePrefix);
        }

        var result = x.ToArray();
        if (normalize)
        {
            Normalize(result);
        }

        return result;
    }

    /// <summary>Scales to unit length; a zero vector stays zero (it scores 0 against everything).</summary>
    public static void Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0f && float.IsFinite(norm))
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }
}
