using Retrieval.Core.Maps;
using Retrieval.Engine.Maps;

namespace Retrieval.Engine.Tests.Maps;

public class MapRouteTests
{
    private static float[] Gaussian(Random rng, int count, double scale)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            // Box–Muller: enough for test data.
            values[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        }

        return values;
    }

    private static CompatibilityMap Map(Random rng, int dIn, int dOut, bool shifted = true, bool normalize = false, int hidden = 0, int compatiblePrefix = 0)
    {
        var residual = hidden == 0
            ? null
            : new ResidualLayer(dIn, hidden, dOut, Gaussian(rng, dIn * hidden, 1), Gaussian(rng, hidden, 0.1), Gaussian(rng, hidden * dOut, 0.1));
        return new CompatibilityMap(
            MapKind.External,
            dIn,
            dOut,
            Gaussian(rng, dIn * dOut, 1 / Math.Sqrt(dIn)),
            shifted ? Gaussian(rng, dIn, 0.3) : default,
            shifted ? Gaussian(rng, dOut, 0.3) : default,
            normalize,
            compatiblePrefix,
            residual);
    }

    private static List<RegisteredMap> Path(params CompatibilityMap[] maps)
    {
        var now = DateTimeOffset.UnixEpoch;
        return maps.Select((map, i) => new RegisteredMap(
            new MapInfo($"map-{i}", "c", $"s{i}", $"s{i + 1}", map.Kind, MapState.Active, Report(map.Kind), now, now), map)).ToList();
    }

    private static MapReport Report(MapKind kind) => new()
    {
        Kind = kind,
        FitAnchors = 0,
        HeldOutAnchors = 0,
        Warnings = [],
        OrthogonalityError = 0,
        GateMetric = GateMetric.RecallAt10,
        Gate = GateOutcome.NotEvaluated,
    };

    /// <summary>The definition of a path: each map applied to the previous one's compatible prefix.</summary>
    private static float[] Sequential(IEnumerable<CompatibilityMap> maps, float[] input)
    {
        var x = input;
        foreach (var map in maps)
        {
            var y = new float[map.OutputDimension];
            map.Apply(x, y);
            x = y[..(map.CompatiblePrefix == 0 ? map.OutputDimension : map.CompatiblePrefix)];
        }

        return x;
    }

    private static void AssertRouteEqualsSequential(CompatibilityMap[] maps, int expectedStages)
    {
        var route = MapRoute.Compose(Path(maps));
        var rng = new Random(9);

        Assert.Equal(expectedStages, route.StageCount);
        Assert.Equal($"s{maps.Length}", route.TargetSpace);
        Assert.Equal(maps.Select((_, i) => $"map-{i}"), route.MapIds);
        for (var trial = 0; trial < 20; trial++)
        {
            var query = Gaussian(rng, maps[0].InputDimension, 1);
            var expected = Sequential(maps, query);
            var actual = route.Apply(query, normalize: false);
            Assert.Equal(expected.Length, actual.Length);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])), $"coordinate {i}: {expected[i]} vs {actual[i]}");
            }
        }
    }

    [Fact]
    public void Compose_AffineChain_FoldsIntoOneStage()
    {
        var rng = new Random(1);
        AssertRouteEqualsSequential([Map(rng, 12, 10), Map(rng, 10, 8), Map(rng, 8, 6)], expectedStages: 1);
    }

    [Fact]
    public void Compose_NormalizingMapBeforeShiftedMap_FallsBackToSeparateStages()
    {
        var rng = new Random(2);
        AssertRouteEqualsSequential([Map(rng, 12, 10, normalize: true), Map(rng, 10, 8)], expectedStages: 2);
    }

    [Fact]
    public void Compose_TwoResidualMaps_FallBackToSeparateStages_AndLaterLinearMapsStillFold()
    {
        var rng = new Random(3);
        // residual → residual cannot fold; the trailing affine map folds into the second residual stage.
        AssertRouteEqualsSequential([Map(rng, 12, 10, hidden: 5), Map(rng, 10, 8, hidden: 4), Map(rng, 8, 6)], expectedStages: 2);
    }

    [Fact]
    public void Compose_ExtendMapFollowedByAMapOfItsPrefix_ReadsThePrefix()
    {
        var rng = new Random(4);
        AssertRouteEqualsSequential([Map(rng, 12, 12, compatiblePrefix: 8), Map(rng, 8, 6)], expectedStages: 1);
    }

    [Fact]
    public void Apply_WithNormalize_ReturnsUnitVector()
    {
        var rng = new Random(5);
        var route = MapRoute.Compose(Path(Map(rng, 6, 4)));

        var result = route.Apply(Gaussian(rng, 6, 1), normalize: true);

        Assert.Equal(1.0, Math.Sqrt(result.Sum(v => (double)v * v)), 5);
    }
}
