using Retrieval.Core.Maps;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Migrations;
using Retrieval.Storage.Sqlite;

namespace Retrieval.Engine.Tests.Migrations;

/// <summary>
/// Online refit (issue 18): a backfill streams its pairs into statistics committed with each batch; a refit that beats the
/// serving map on the held-out slice is promoted as a new map version that mixed search names, one that does not is kept
/// as a report only; the statistics survive a restart without counting a repeated batch twice; the reservoir of the
/// kinds trained on pairs stays within its bound.
/// </summary>
public sealed class OnlineRefitTests
{
    private const int D = 8;
    private const int Items = 600;
    private const string Collection = "refit";

    [Fact]
    public async Task Refit_BetterThanServingMap_IsPromotedAsNextVersion()
    {
        await using var harness = await EngineHarness.StartAsync();
        var data = new PairData(seed: 1);
        // A poor first map: 12 anchors whose old side is mostly noise.
        var noisy = Enumerable.Range(0, 12).Select(i => (data.New[i], Noisy(data.Old[i], 2.0, i))).ToList();
        var first = await StartAsync(harness.Engine, data, noisy, new MigrationParameters { MapKind = MapKind.CanonicalQ, Refit = Manual() });
        await BackfillAsync(harness.Engine, data, 0, Items);

        var report = await harness.Engine.RefitMigrationAsync(Collection, "m", CancellationToken.None);

        Assert.True(report.Promoted, report.Reason);
        Assert.Equal(2, report.Version);
        Assert.Equal(first.Row.MapId + "-v2", report.MapId);
        Assert.True(report.Candidate.Score > report.Serving.Score + 0.1, $"{report.Candidate.Score} vs {report.Serving.Score}");
        var after = await harness.Engine.GetMigrationAsync(Collection, "m", CancellationToken.None);
        Assert.Equal(report.MapId, after.Row.MapId);
        Assert.Equal(2, after.Refit!.MapVersion);
        Assert.Equal(report.Candidate, after.Refit.ServingFigures);
        Assert.NotEqual(first.Details.Calibration, after.Details.Calibration);

        // Mixed search routes through the new version and names it; the previous version is retired with its report kept.
        var result = harness.Engine.SearchWithRoute(Collection, new SearchQuery("new", data.New[0], 5));
        Assert.Equal([report.MapId!], result.MapsUsed);
        var maps = harness.Engine.ListMaps(Collection);
        Assert.Equal(MapState.Retired, maps.Single(m => m.Id == first.Row.MapId).State);
        Assert.Equal(MapState.Active, maps.Single(m => m.Id == report.MapId).State);

        // A restart serves the promoted version and keeps every refit's report.
        await harness.ReopenAsync();
        var reopened = await harness.Engine.GetMigrationAsync(Collection, "m", CancellationToken.None);
        Assert.Equal(report.MapId, reopened.Row.MapId);
        Assert.Single(reopened.Details.Refit!.Refits);
        Assert.Equal([report.MapId!], harness.Engine.SearchWithRoute(Collection, new SearchQuery("new", data.New[0], 5)).MapsUsed);
    }

    [Fact]
    public async Task Refit_AfterEvaluate_ScoresTheOperatorsQueriesToo()
    {
        await using var harness = await EngineHarness.StartAsync();
        var data = new PairData(seed: 6);
        var noisy = Enumerable.Range(0, 12).Select(i => (data.New[i], Noisy(data.Old[i], 2.0, i))).ToList();
        var engine = harness.Engine;
        await engine.CreateCollectionAsync(Collection, [EngineHarness.Space("old", D, Metric.Cosine), EngineHarness.Space("new", D, Metric.Cosine)], "old", CancellationToken.None);
        await engine.UpsertAsync(Collection, Enumerable.Range(0, Items).Select(i => EngineHarness.Item(PairData.Id(i), "old", data.Old[i])).ToList(), CancellationToken.None);
        await engine.PlanMigrationAsync(Collection, new MigrationPlan("m", "old", "new", null, new MigrationParameters { MapKind = MapKind.CanonicalQ, Seed = 1, Refit = Manual() }), "test", CancellationToken.None);
        await engine.FitMigrationAsync(Collection, "m", null, noisy, [], "test", CancellationToken.None);
        // Each query is an item's own (new, old) pair; its relevant item is itself.
        var queries = Enumerable.Range(100, 40).Select(i => new Retrieval.Engine.Maps.MapEvaluationQuery(data.New[i], data.Old[i], [PairData.Id(i)])).ToList();
        await engine.EvaluateMigrationAsync(Collection, "m", queries, null, "test", CancellationToken.None);
        await engine.ActivateMigrationAsync(Collection, "m", force: true, "test", CancellationToken.None);
        await engine.StartBackfillAsync(Collection, "m", null, "test", CancellationToken.None);
        await BackfillAsync(engine, data, 0, Items);
        // The queries are stored with the migration: a restart still judges refits on them.
        await harness.ReopenAsync();

        var report = await harness.Engine.RefitMigrationAsync(Collection, "m", CancellationToken.None);

        Assert.NotNull(report.Candidate.EvaluationRecallAt10);
        Assert.NotNull(report.Serving.EvaluationRecallAt10);
        Assert.Equal((report.Candidate.IdentificationRecallAt1 + report.Candidate.NeighbourRecallAt10 + report.Candidate.EvaluationRecallAt10!.Value) / 3, report.Candidate.Score, 12);
        Assert.True(report.Candidate.EvaluationRecallAt10 >= report.Serving.EvaluationRecallAt10);
    }

    [Fact]
    public async Task Refit_NoBetterThanServingMap_IsNotPromotedButReported()
    {
        await using var harness = await EngineHarness.StartAsync();
        var data = new PairData(seed: 2);
        // The first map is fitted on every exact pair: the stream cannot teach it anything.
        var exact = Enumerable.Range(0, Items).Select(i => (data.New[i], data.Old[i])).ToList();
        var first = await StartAsync(harness.Engine, data, exact, new MigrationParameters { MapKind = MapKind.CanonicalQ, Refit = Manual() });
        await BackfillAsync(harness.Engine, data, 0, Items);

        var report = await harness.Engine.RefitMigrationAsync(Collection, "m", CancellationToken.None);

        Assert.False(report.Promoted, report.Reason);
        Assert.Null(report.MapId);
        var after = await harness.Engine.GetMigrationAsync(Collection, "m", CancellationToken.None);
        Assert.Equal(first.Row.MapId, after.Row.MapId);
        Assert.Equal(1, after.Refit!.MapVersion);
        Assert.Single(after.Details.Refit!.Refits);
        Assert.DoesNotContain(harness.Engine.ListMaps(Collection), m => m.Id.EndsWith("-v2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Statistics_AfterRestart_AreIntactAndARepeatedBatchCountsNothing()
    {
        await using var harness = await EngineHarness.StartAsync();
        var data = new PairData(seed: 3);
        var noisy = Enumerable.Range(0, 12).Select(i => (data.New[i], Noisy(data.Old[i], 2.0, i))).ToList();
        // Inner product: the stored vectors are the ones sent, so the statistics can be checked against the raw pairs.
        await StartAsync(harness.Engine, data, noisy, new MigrationParameters { MapKind = MapKind.CanonicalQ, Refit = Manual() }, Metric.InnerProduct);
        // A restart before the first batch keeps fit's inline anchors, which seed the statistics.
        await harness.ReopenAsync();
        await BackfillAsync(harness.Engine, data, 0, 300);
        var before = (await harness.Engine.GetMigrationAsync(Collection, "m", CancellationToken.None)).Refit!;
        Assert.Equal(300 + noisy.Count, before.StatisticsPairs + before.HeldOutPairs);
        Assert.Equal(noisy.Count, (await ReadStatisticsAsync(harness))!.SeedPairs);
        Assert.InRange(before.HeldOutPairs, 10, 60);

        await harness.ReopenAsync();
        var reopened = (await harness.Engine.GetMigrationAsync(Collection, "m", CancellationToken.None)).Refit!;
        Assert.Equal((before.StatisticsPairs, before.HeldOutPairs), (reopened.StatisticsPairs, reopened.HeldOutPairs));
        var stored = await ReadStatisticsAsync(harness);
        Assert.Equal(before.StatisticsPairs + before.HeldOutPairs, AnchorStatistics.Deserialize(stored!.Data).Count + stored.HeldOutPairs);

        // The same batch again (a client retrying after the crash): its items are native already, nothing is added.
        await BackfillAsync(harness.Engine, data, 0, 300);
        var repeated = (await harness.Engine.GetMigrationAsync(Collection, "m", CancellationToken.None)).Refit!;
        Assert.Equal((before.StatisticsPairs, before.HeldOutPairs), (repeated.StatisticsPairs, repeated.HeldOutPairs));

        await BackfillAsync(harness.Engine, data, 300, Items);
        var done = (await harness.Engine.GetMigrationAsync(Collection, "m", CancellationToken.None)).Refit!;
        Assert.Equal(Items + noisy.Count, done.StatisticsPairs + done.HeldOutPairs);

        // What the statistics hold equals statistics of fit's inline anchors and the pairs outside the held-out slice,
        // computed afresh.
        var final = AnchorStatistics.Deserialize((await ReadStatisticsAsync(harness))!.Data);
        var outside = Enumerable.Range(0, Items).Where(i => !HeldOutSlice.Contains(PairData.Id(i), 0.1, 1)).ToList();
        var expected = AnchorStatistics.Of(new AnchorSet(
            noisy.SelectMany(p => p.Item1).Concat(outside.SelectMany(i => data.New[i])).ToArray(), D,
            noisy.SelectMany(p => p.Item2).Concat(outside.SelectMany(i => data.Old[i])).ToArray(), D));
        Assert.Equal(expected.Count, final.Count);
        Assert.True(expected.Cross.ToArray().Zip(final.Cross.ToArray(), (a, b) => Math.Abs(a - b)).Max() < 1e-9 * expected.Count);
    }

    [Fact]
    public async Task Reservoir_OfKindTrainedOnPairs_StaysWithinItsBoundAndFeedsTheRefit()
    {
        await using var harness = await EngineHarness.StartAsync();
        var data = new PairData(seed: 4);
        var anchors = Enumerable.Range(0, 40).Select(i => (data.New[i], data.Old[i])).ToList();
        await StartAsync(harness.Engine, data, anchors, new MigrationParameters { MapKind = MapKind.ResidualMlp, Refit = Manual() with { ReservoirSize = 50 } });
        await BackfillAsync(harness.Engine, data, 0, Items);

        var status = (await harness.Engine.GetMigrationAsync(Collection, "m", CancellationToken.None)).Refit!;
        var stored = await ReadStatisticsAsync(harness);
        Assert.Equal(50, status.ReservoirPairs);
        Assert.Equal(50, stored!.Reservoir.Count);
        Assert.All(stored.Reservoir, s => Assert.InRange(s.Slot, 0, 49));
        Assert.Equal(50, stored.Reservoir.Select(s => s.ItemId).Distinct().Count());

        var report = await harness.Engine.RefitMigrationAsync(Collection, "m", CancellationToken.None);
        Assert.Equal(MapKind.ResidualMlp, report.Kind);
        Assert.Equal(50, report.FitPairs);
    }

    [Fact]
    public async Task Schedule_EveryPairs_RefitsInTheBackground()
    {
        await using var harness = await EngineHarness.StartAsync();
        var data = new PairData(seed: 5);
        var noisy = Enumerable.Range(0, 12).Select(i => (data.New[i], Noisy(data.Old[i], 2.0, i))).ToList();
        await StartAsync(harness.Engine, data, noisy, new MigrationParameters { MapKind = MapKind.Orthogonal, Refit = new OnlineRefitSettings { EveryPairs = 200, EverySeconds = 0 } });
        foreach (var start in new[] { 0, 150, 300, 450 })
        {
            await BackfillAsync(harness.Engine, data, start, start + 150);
            await harness.Engine.WhenRefitsIdleAsync();
        }

        var status = await harness.Engine.GetMigrationAsync(Collection, "m", CancellationToken.None);
        Assert.InRange(status.Details.Refit!.Refits.Count, 2, 3);
        Assert.True(status.Refit!.MapVersion >= 2, "the first refit from 300 exact pairs beats a map fitted on 12 noisy ones");
        Assert.Equal(status.Details.Refit.PairsAtLastRefit + 200, status.Refit.NextRefitAtPairs);
    }

    private static OnlineRefitSettings Manual() => new() { EveryPairs = int.MaxValue, EverySeconds = 0 };

    private static async Task<MigrationInfo> StartAsync(RetrievalEngine engine, PairData data, List<(float[] New, float[] Old)> anchors, MigrationParameters settings, Metric metric = Metric.Cosine)
    {
        await engine.CreateCollectionAsync(Collection, [EngineHarness.Space("old", D, metric), EngineHarness.Space("new", D, metric)], "old", CancellationToken.None);
        await engine.UpsertAsync(Collection, Enumerable.Range(0, Items).Select(i => EngineHarness.Item(PairData.Id(i), "old", data.Old[i])).ToList(), CancellationToken.None);
        await engine.PlanMigrationAsync(Collection, new MigrationPlan("m", "old", "new", null, settings with { Seed = 1 }), "test", CancellationToken.None);
        var fitted = await engine.FitMigrationAsync(Collection, "m", null, anchors, [], "test", CancellationToken.None);
        await engine.ActivateMigrationAsync(Collection, "m", force: true, "test", CancellationToken.None);
        await engine.StartBackfillAsync(Collection, "m", null, "test", CancellationToken.None);
        return fitted;
    }

    private static async Task BackfillAsync(RetrievalEngine engine, PairData data, int from, int to)
    {
        foreach (var chunk in Enumerable.Range(from, to - from).Chunk(100))
        {
            await engine.BackfillAsync(Collection, "m", chunk.Select(i => new BackfillVector(PairData.Id(i), data.New[i])).ToList(), $"#{chunk[^1]}", CancellationToken.None);
        }
    }

    private static float[] Noisy(float[] vector, double scale, int seed)
    {
        var rng = new Random(seed + 1000);
        return vector.Select(v => (float)(v + (scale * (rng.NextDouble() - 0.5)))).ToArray();
    }

    private static async Task<StoredMigrationStatistics?> ReadStatisticsAsync(EngineHarness harness)
    {
        await using var store = new SqliteRetrievalStore(harness.Directory);
        await store.OpenAsync(CancellationToken.None);
        return await store.GetMigrationStatisticsAsync(Collection, "m", CancellationToken.None);
    }

    /// <summary>Seeded pairs: new ~ N(0, I/d), old = new·R + 0.05 noise with a random rotation R.</summary>
    private sealed class PairData
    {
        public PairData(int seed)
        {
            var rng = new Random(seed);
            var rotation = RandomRotation(rng);
            New = new float[Items][];
            Old = new float[Items][];
            for (var i = 0; i < Items; i++)
            {
                New[i] = Enumerable.Range(0, D).Select(_ => (float)Gaussian(rng)).ToArray();
                Old[i] = new float[D];
                for (var j = 0; j < D; j++)
                {
                    var sum = 0d;
                    for (var k = 0; k < D; k++)
                    {
                        sum += New[i][k] * rotation[k, j];
                    }

                    Old[i][j] = (float)(sum + (0.05 * Gaussian(rng)));
                }
            }
        }

        public float[][] New { get; }

        public float[][] Old { get; }

        public static string Id(int i) => $"i{i:D4}";

        private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

        private static double[,] RandomRotation(Random rng)
        {
            var q = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(D, D, (_, _) => Gaussian(rng)).QR().Q;
            var result = new double[D, D];
            for (var i = 0; i < D; i++)
            {
                for (var j = 0; j < D; j++)
                {
                    result[i, j] = q[i, j];
                }
            }

            return result;
        }
    }
}
