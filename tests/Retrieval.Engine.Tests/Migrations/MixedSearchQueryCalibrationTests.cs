using Retrieval.Core.Maps;
using Retrieval.Core.Storage;
using Retrieval.Engine.Migrations;
using Retrieval.TestData;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Migrations;

/// <summary>
/// Mixed search when queries score items in another range than items score each other (as a model that embeds queries
/// with a prompt does): the migration's calibration, fitted item to item, would lift every mapped hit above every native
/// one; the query's own backfilled items, their two top tails paired rank by rank, give the scale the merge uses.
/// </summary>
public sealed class MixedSearchQueryCalibrationTests
{
    private const int Dimension = 8;

    [Fact]
    public async Task Search_QueriesInAnotherRangeThanItems_RanksNativeAndMappedHitsOnOneScale()
    {
        await using var harness = await StartAsync();
        var data = new ClusteredData(400, 8, Dimension, 12, seed: 17, normalize: true, spread: 0.3f);
        await harness.Engine.CreateCollectionAsync("c", [Space("old", Dimension), Space("new", Dimension + 1)], null, storeInputs: false, 1, CancellationToken.None);
        // The new model is a permutation of the old one plus a coordinate every item holds at 1 and every query at 0, so
        // item-to-item new scores sit 1 above query-to-item ones. Half the items are backfilled.
        await harness.Engine.UpsertAsync("c", Enumerable.Range(0, data.Count).Select(i => new ItemWrite($"i{i}", null, i % 2 == 0
            ? new Dictionary<string, float[]> { ["old"] = data.Row(i), ["new"] = [.. Rotate(data.Row(i)), 1f] }
            : new Dictionary<string, float[]> { ["old"] = data.Row(i) })).ToList(), CancellationToken.None);
        await harness.Engine.PlanMigrationAsync("c", new MigrationPlan("m", "old", "new", null, new MigrationParameters { MapKind = MapKind.Affine, Seed = 3 }), null, CancellationToken.None);
        await harness.Engine.FitMigrationAsync("c", "m", null, [], [], null, CancellationToken.None);
        await harness.Engine.ActivateMigrationAsync("c", "m", force: true, null, CancellationToken.None);

        var sawBothPaths = false;
        for (var q = 0; q < data.QueryCount; q++)
        {
            var query = data.Query(q);
            // Both sides score an item ⟨query, old vector⟩ here (the map is exact), so the right merge is the old space's order.
            var expected = Enumerable.Range(0, data.Count).OrderByDescending(i => Dot(query, data.Row(i))).ThenBy(i => i).Take(10).Select(i => $"i{i}");
            var hits = harness.Engine.Search("c", new SearchQuery("new", [.. Rotate(query), 0f], 10, Exact: true));
            Assert.Equal(expected.ToHashSet(), hits.Select(h => h.Id).ToHashSet());
            sawBothPaths |= hits.Any(h => h.Path == SearchPaths.Mapped) && hits.Any(h => h.Path != SearchPaths.Mapped);
        }

        Assert.True(sawBothPaths);
    }

    [Fact]
    public void TailCalibration_PairsTheTwoTopTailsRankByRank_NotTheSameItems()
    {
        // The native side's best backfilled scores are 2·(mapped side's best) + 0.1, rank for rank, whichever items they
        // belong to; a flat fallback (what a weakly correlated item-to-item fit gives) is replaced.
        var mapped = new[] { 0.9f, 0.7f, 0.6f, 0.4f }.Select((score, i) => new Core.Search.ScoredRow(i, score)).ToArray();
        var native = mapped.Select((h, i) => new Core.Search.ScoredRow(10 + i, (2 * h.Score) + 0.1f)).ToArray();
        var flat = new ScoreCalibration(0.1, 0.8, 100, 0.2);

        var tail = MixedSearch.TailCalibration(native, mapped, flat);

        Assert.Equal(2, tail.Scale, 5);
        Assert.Equal(0.1, tail.Offset, 5);
        Assert.Equal(4, tail.Pairs);
        // Fewer than three pairs, or a side without spread: the migration's calibration stands.
        Assert.Same(flat, MixedSearch.TailCalibration(native.AsSpan(0, 2), mapped, flat));
        Assert.Same(flat, MixedSearch.TailCalibration(native, mapped.Select(h => h with { Score = 0.5f }).ToArray(), flat));
    }

    private static float[] Rotate(float[] vector) => [.. vector.Skip(1), vector[0]];

    private static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();
}
