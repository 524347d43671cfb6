using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Engine.Maps;
using Retrieval.Engine.Migrations;

namespace Retrieval.Engine.Tests.Migrations;

/// <summary>
/// The re-projection job (issue 18 item 3): a migration from the old space into the joint space of a two-sided pair,
/// backfilled from the stored old vectors by the server worker. Items are drawn from shared latent factors seen by both
/// "models"; the new space holds no vectors, so new-model queries are routed implicitly.
/// </summary>
public sealed class ReprojectionMigrationTests
{
    private const string Collection = "docs";
    private const int Items = 300;
    private const int Latent = 6;
    private const int OldDimension = 16;
    private const int NewDimension = 20;
    private const int JointDimension = 8;

    [Fact]
    public async Task Reprojection_IsSearchableThroughout_ResumesAfterRestart_AndEqualsTheMatrixProduct()
    {
        await using var harness = await EngineHarness.StartAsync();
        var data = new SyntheticPair(seed: 11);
        await CreateAsync(harness.Engine, data);
        var oneSided = await harness.Engine.FitMapAsync(Collection, new MapFitRequest("new", "old", MapKind.CanonicalQ) { Anchors = data.Anchors(200) }, CancellationToken.None);
        await harness.Engine.ActivateMapAsync(Collection, oneSided.Id, force: true, CancellationToken.None);
        var query = new SearchQuery("new", data.NewQuery(item: 7), 5);
        Assert.Equal([oneSided.Id], harness.Engine.SearchWithRoute(Collection, query).MapsUsed);

        var pair = await harness.Engine.FitMapAsync(Collection, new MapFitRequest("new", "old", MapKind.TwoSided) { JointSpace = "joint", Anchors = data.Anchors(200) }, CancellationToken.None);
        var twoSided = pair.Report.TwoSided!;
        Assert.Equal((MapKind.TwoSided, "joint", TwoSidedRole.Query), (pair.Kind, pair.ToSpace, twoSided.Role));
        Assert.Equal(Items, twoSided.Cost!.Vectors);
        Assert.True(twoSided.Cost.SecondsPerMillion > 0);
        var galleryMap = harness.Engine.ListMaps(Collection).Single(m => m.Id == twoSided.PairedMapId);
        Assert.Equal(("old", "joint", TwoSidedRole.Gallery), (galleryMap.FromSpace, galleryMap.ToSpace, galleryMap.Report.TwoSided!.Role));

        // The query side cannot route into a joint space that does not hold every item yet.
        var early = await Assert.ThrowsAsync<RetrievalException>(() => harness.Engine.ActivateMapAsync(Collection, pair.Id, force: true, CancellationToken.None));
        Assert.Equal(ErrorKind.FailedPrecondition, early.Kind);

        var settings = new MigrationParameters { TwoSidedMap = pair.Id };
        await harness.Engine.PlanMigrationAsync(Collection, new MigrationPlan("r", "old", "joint", null, settings), null, CancellationToken.None);
        await harness.Engine.FitMigrationAsync(Collection, "r", null, [], [], null, CancellationToken.None);
        await harness.Engine.ActivateMigrationAsync(Collection, "r", force: true, null, CancellationToken.None);
        await harness.Engine.StartBackfillAsync(Collection, "r", null, null, CancellationToken.None);
        Assert.Contains(harness.Engine.ServerBackfills(), b => b.Collection == Collection && b.Migration == "r");

        Assert.Equal(100, await harness.Engine.RunBackfillStepAsync(Collection, 100, CancellationToken.None));
        var partway = await harness.Engine.GetMigrationAsync(Collection, "r", CancellationToken.None);
        Assert.Equal((Items, 100L), (partway.Progress!.TotalItems, partway.Progress.NativeItems));
        var during = harness.Engine.SearchWithRoute(Collection, query);
        Assert.Equal([oneSided.Id], during.MapsUsed);
        Assert.Equal(5, during.Hits.Count);

        // A write during the re-projection gets its joint vector at once (derived through the gallery map).
        var late = data.OldVector(Items + 1);
        await harness.Engine.UpsertAsync(Collection, [EngineHarness.Item("late", "old", late)], CancellationToken.None);

        await harness.ReopenAsync();
        var resumed = await harness.Engine.GetMigrationAsync(Collection, "r", CancellationToken.None);
        Assert.Equal((MigrationPhase.Backfilling, 100L), (resumed.Row.Phase, resumed.Progress!.NativeItems));
        Assert.Equal(partway.Row.WorkerCursor, resumed.Row.WorkerCursor);
        Assert.Equal([oneSided.Id], harness.Engine.SearchWithRoute(Collection, query).MapsUsed);

        var steps = 0;
        while (await harness.Engine.RunBackfillStepAsync(Collection, 100, CancellationToken.None) > 0)
        {
            Assert.True(++steps < 20, "the walk does not end");
        }

        var done = await harness.Engine.GetMigrationAsync(Collection, "r", CancellationToken.None);
        Assert.Equal((Items + 1L, Items + 1L, 0L, 0L), (done.Progress!.TotalItems, done.Progress.NativeItems, done.Progress.DerivedItems, done.Progress.MissingNewItems));

        // Every joint vector is normalize((x − μ_o)·P_o) of the item's stored old vector, the product written out here.
        var gallery = harness.Engine.ListMaps(Collection).Single(m => m.Id == galleryMap.Id);
        var stored = harness.Engine.GetItems(Collection, [.. Enumerable.Range(0, Items).Select(SyntheticPair.Id), "late"], withVectors: true);
        var map = await GalleryMapAsync(harness, gallery.Id);
        foreach (var item in stored)
        {
            var expected = Product(map, item.Vectors!["old"]);
            var actual = item.Vectors["joint"];
            for (var c = 0; c < JointDimension; c++)
            {
                Assert.Equal(expected[c], actual[c], 1e-5);
            }
        }

        await harness.Engine.CutoverMigrationAsync(Collection, "r", null, CancellationToken.None);
        Assert.Equal(MapState.Active, harness.Engine.ListMaps(Collection).Single(m => m.Id == pair.Id).State);
        var after = harness.Engine.SearchWithRoute(Collection, query);
        Assert.Equal([pair.Id], after.MapsUsed);
        Assert.Contains(after.Hits, h => h.Id == SyntheticPair.Id(7));

        await harness.Engine.RollbackMigrationAsync(Collection, "r", null, CancellationToken.None);
        Assert.Equal(MapState.Retired, harness.Engine.ListMaps(Collection).Single(m => m.Id == pair.Id).State);
        Assert.Equal([oneSided.Id], harness.Engine.SearchWithRoute(Collection, query).MapsUsed);
    }

    [Fact]
    public async Task LaterWrites_OfTheNewModel_AreProjectedIntoTheJointSpace_DuringAndAfterTheReprojection()
    {
        await using var harness = await EngineHarness.StartAsync();
        var engine = harness.Engine;
        var data = new SyntheticPair(seed: 14);
        await CreateAsync(engine, data);
        var pair = await engine.FitMapAsync(Collection, new MapFitRequest("new", "old", MapKind.TwoSided) { JointSpace = "joint", Anchors = data.Anchors(200) }, CancellationToken.None);
        var query = engine.MapOf(Collection, pair.Id);
        await engine.PlanMigrationAsync(Collection, new MigrationPlan("r", "old", "joint", null, new MigrationParameters { TwoSidedMap = pair.Id }), null, CancellationToken.None);
        await engine.FitMigrationAsync(Collection, "r", null, [], [], null, CancellationToken.None);
        await engine.ActivateMigrationAsync(Collection, "r", force: true, null, CancellationToken.None);
        await engine.StartBackfillAsync(Collection, "r", null, null, CancellationToken.None);
        Assert.Equal(100, await engine.RunBackfillStepAsync(Collection, 100, CancellationToken.None));

        // During: a new item and an update that carry only the new model's vector get query(new) as their joint vector,
        // native (nothing for the re-projection to redo) and with an old vector through the migration's map.
        var during = data.NewQuery(Items + 5);
        var update = data.NewQuery(Items + 6);
        await engine.UpsertAsync(Collection, [EngineHarness.Item("n-during", "new", during), EngineHarness.Item(SyntheticPair.Id(250), "new", update)], CancellationToken.None);
        AssertJoint(engine, "n-during", Projected(query, during));
        AssertJoint(engine, SyntheticPair.Id(250), Projected(query, update));
        Assert.True(engine.GetItems(Collection, ["n-during"], withVectors: true).Single().Vectors!.ContainsKey("old"));
        // An old-only write still gets its joint vector through the gallery side (the migration's rule), not the query side.
        var oldOnly = data.OldVector(Items + 7);
        await engine.UpsertAsync(Collection, [EngineHarness.Item("o-during", "old", oldOnly)], CancellationToken.None);
        var gallery = engine.MapOf(Collection, pair.Report.TwoSided!.PairedMapId!);
        AssertJoint(engine, "o-during", Projected(gallery, oldOnly));

        while (await engine.RunBackfillStepAsync(Collection, 100, CancellationToken.None) > 0)
        {
        }

        // The walk left the new-model items as written (they were native), and nothing misses a joint vector.
        AssertJoint(engine, "n-during", Projected(query, during));
        AssertJoint(engine, SyntheticPair.Id(250), Projected(query, update));
        var done = await engine.GetMigrationAsync(Collection, "r", CancellationToken.None);
        Assert.Equal((0L, 0L), (done.Progress!.DerivedItems, done.Progress.MissingNewItems));

        // After cut-over and retire (the old space is gone): writes of the new model keep landing in the joint space.
        await engine.CutoverMigrationAsync(Collection, "r", null, CancellationToken.None);
        var cutOver = data.NewQuery(Items + 8);
        await engine.UpsertAsync(Collection, [EngineHarness.Item("n-cutover", "new", cutOver)], CancellationToken.None);
        AssertJoint(engine, "n-cutover", Projected(query, cutOver));
        await engine.RetireMigrationAsync(Collection, "r", null, CancellationToken.None);
        var after = data.NewQuery(Items + 9);
        var again = data.NewQuery(Items + 10);
        await engine.UpsertAsync(Collection, [EngineHarness.Item("n-after", "new", after), EngineHarness.Item("n-during", "new", again)], CancellationToken.None);
        AssertJoint(engine, "n-after", Projected(query, after));
        AssertJoint(engine, "n-during", Projected(query, again));
        // (The new space holds vectors now, so a plain new-space query searches it natively; the joint space is named.)
        var hits = engine.SearchWithRoute(Collection, new SearchQuery("new", after, 3, TargetSpace: "joint"));
        Assert.Equal([pair.Id], hits.MapsUsed);
        Assert.Equal("n-after", hits.Hits[0].Id);
    }

    [Fact]
    public async Task Plan_BadTwoSidedMap_IsInvalidArgumentNamingTheFieldAndChangesNothing()
    {
        await using var harness = await EngineHarness.StartAsync();
        var data = new SyntheticPair(seed: 12);
        await CreateAsync(harness.Engine, data);
        var oneSided = await harness.Engine.FitMapAsync(Collection, new MapFitRequest("new", "old", MapKind.CanonicalQ) { Anchors = data.Anchors(200) }, CancellationToken.None);
        var pair = await harness.Engine.FitMapAsync(Collection, new MapFitRequest("new", "old", MapKind.TwoSided) { JointSpace = "joint", Anchors = data.Anchors(200) }, CancellationToken.None);

        async Task<RetrievalException> PlanAsync(string? from, string to, string? encoder, string map) =>
            await Assert.ThrowsAsync<RetrievalException>(() => harness.Engine.PlanMigrationAsync(
                Collection, new MigrationPlan("bad", from, to, encoder, new MigrationParameters { TwoSidedMap = map }), null, CancellationToken.None));

        var unknown = await PlanAsync("old", "joint", null, "map-missing");
        var notTwoSided = await PlanAsync("old", "joint", null, oneSided.Id);
        var wrongSpaces = await PlanAsync("old", "new", null, pair.Id);
        var withEncoder = await PlanAsync("old", "joint", "some-encoder", pair.Id);

        Assert.All([unknown, notTwoSided, wrongSpaces], e => Assert.Equal((ErrorKind.InvalidArgument, "settings.twoSidedMap"), (e.Kind, e.Path?.ToString())));
        Assert.Equal((ErrorKind.InvalidArgument, "encoder"), (withEncoder.Kind, withEncoder.Path?.ToString()));
        Assert.Empty(await harness.Engine.ListMigrationsAsync(Collection, CancellationToken.None));
    }

    [Fact]
    public async Task FitTwoSided_BadJointSpace_IsInvalidArgumentNamingTheFieldAndStoresNothing()
    {
        await using var harness = await EngineHarness.StartAsync();
        var data = new SyntheticPair(seed: 13);
        await CreateAsync(harness.Engine, data);

        async Task<RetrievalException> FitAsync(MapFitRequest request) =>
            await Assert.ThrowsAsync<RetrievalException>(() => harness.Engine.FitMapAsync(Collection, request with { Anchors = data.Anchors(200) }, CancellationToken.None));

        var missing = await FitAsync(new MapFitRequest("new", "old", MapKind.TwoSided));
        var unknown = await FitAsync(new MapFitRequest("new", "old", MapKind.TwoSided) { JointSpace = "nope" });
        var same = await FitAsync(new MapFitRequest("new", "old", MapKind.TwoSided) { JointSpace = "old" });
        var tooWide = await FitAsync(new MapFitRequest("new", "old", MapKind.TwoSided) { JointSpace = "wide" });
        var otherKind = await FitAsync(new MapFitRequest("new", "old", MapKind.CanonicalQ) { JointSpace = "joint" });
        var regularization = await FitAsync(new MapFitRequest("new", "old", MapKind.TwoSided) { JointSpace = "joint", JointRegularization = 0 });

        Assert.All([missing, unknown, same, tooWide, otherKind], e => Assert.Equal((ErrorKind.InvalidArgument, "jointSpace"), (e.Kind, e.Path?.ToString())));
        Assert.Equal((ErrorKind.InvalidArgument, "jointRegularization"), (regularization.Kind, regularization.Path?.ToString()));
        Assert.Empty(harness.Engine.ListMaps(Collection));
    }

    private static async Task CreateAsync(RetrievalEngine engine, SyntheticPair data)
    {
        await engine.CreateCollectionAsync(Collection,
            [
                EngineHarness.Space("old", OldDimension),
                EngineHarness.Space("new", NewDimension),
                EngineHarness.Space("joint", JointDimension, Metric.Cosine),
                EngineHarness.Space("wide", OldDimension + 1, Metric.Cosine),
            ],
            "old", CancellationToken.None);
        await engine.UpsertAsync(Collection, Enumerable.Range(0, Items).Select(i => EngineHarness.Item(SyntheticPair.Id(i), "old", data.OldVector(i))).ToList(), CancellationToken.None);
    }

    private static float[] Projected(CompatibilityMap map, float[] vector)
    {
        var output = map.ApplyBatch(vector, 1)[..JointDimension];
        var norm = (float)Math.Sqrt(output.Sum(v => (double)v * v));
        return output.Select(v => v / norm).ToArray();
    }

    private static void AssertJoint(RetrievalEngine engine, string id, float[] expected)
    {
        var actual = engine.GetItems(Collection, [id], withVectors: true).Single().Vectors!["joint"];
        for (var c = 0; c < JointDimension; c++)
        {
            Assert.Equal(expected[c], actual[c], 1e-5);
        }
    }

    private static Task<CompatibilityMap> GalleryMapAsync(EngineHarness harness, string id) =>
        Task.FromResult(harness.Engine.MapOf(Collection, id));

    /// <summary><c>normalize((x − μ)·W)</c> in double, from the map's stored mean and weights.</summary>
    private static double[] Product(CompatibilityMap map, float[] x)
    {
        var weights = map.Weights.ToArray();
        var mean = map.InputMean.ToArray();
        var y = new double[map.OutputDimension];
        for (var c = 0; c < y.Length; c++)
        {
            for (var j = 0; j < x.Length; j++)
            {
                y[c] += (x[j] - mean[j]) * weights[(j * y.Length) + c];
            }
        }

        var norm = Math.Sqrt(y.Sum(v => v * v));
        return y.Select(v => v / norm).ToArray();
    }

    /// <summary>Items seen by two "models" through different random maps of the same latent factors, plus private noise.</summary>
    private sealed class SyntheticPair
    {
        private readonly Random _random;
        private readonly double[][] _toOld;
        private readonly double[][] _toNew;
        private readonly Dictionary<int, double[]> _latent = [];

        public SyntheticPair(int seed)
        {
            _random = new Random(seed);
            _toOld = Enumerable.Range(0, Latent).Select(_ => Gaussians(OldDimension)).ToArray();
            _toNew = Enumerable.Range(0, Latent).Select(_ => Gaussians(NewDimension)).ToArray();
        }

        public static string Id(int item) => $"doc-{item:D4}";

        public float[] OldVector(int item) => Embed(LatentOf(item), _toOld, 0.3);

        public float[] NewQuery(int item) => Embed(LatentOf(item), _toNew, 0.3);

        /// <summary>Inline anchor pairs (new, old) for items 0..count−1, so the new space itself stays empty.</summary>
        public List<(float[] New, float[] Old)> Anchors(int count) =>
            Enumerable.Range(0, count).Select(i => (Embed(LatentOf(i), _toNew, 0.3), OldVector(i))).ToList();

        private double[] LatentOf(int item)
        {
            if (!_latent.TryGetValue(item, out var z))
            {
                _latent[item] = z = Gaussians(Latent);
            }

            return z;
        }

        private float[] Embed(double[] z, double[][] map, double noise)
        {
            var result = new float[map[0].Length];
            for (var c = 0; c < result.Length; c++)
            {
                var value = noise * Gaussians(1)[0];
                for (var k = 0; k < z.Length; k++)
                {
                    value += z[k] * map[k][c];
                }

                result[c] = (float)value;
            }

            return result;
        }

        private double[] Gaussians(int count) =>
            Enumerable.Range(0, count).Select(_ => Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble())).ToArray();
    }
}
