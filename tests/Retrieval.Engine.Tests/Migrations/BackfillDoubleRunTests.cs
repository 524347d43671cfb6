using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Migrations;
using Retrieval.Storage.Sqlite;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Migrations;

/// <summary>
/// Two engines over one store of record stand for two cluster nodes that both believe they run a migration's server
/// backfill (a partition, or a lease that expired while a step was in flight). The store's compare-and-set on the worker
/// cursor refuses the stale runner's step whole; after adopting the stored progress it walks on from there, and nothing
/// is counted or written twice.
/// </summary>
public sealed class BackfillDoubleRunTests
{
    private const string Collection = "c";
    private const string Migration = "m";
    private const int Anchors = 40;
    private const int ToBackfill = 90;

    [Fact]
    public async Task StaleRunner_StepOverAMovedCursor_IsRefusedWhole_AndResumesFromTheStoredCursorAfterAdopting()
    {
        var directory = NewDirectory();
        try
        {
            await using (var first = await OpenAsync(directory))
            {
                await SetUpBackfillingMigrationAsync(first);
                await using var second = await OpenAsync(directory);

                // Node one steps first and commits the cursor past the first 30 ids; node two holds the cursor it loaded.
                Assert.Equal(30, await first.RunBackfillStepAsync(Collection, 30, CancellationToken.None));
                var afterFirst = await StoredAsync(directory);
                Assert.Equal(Id(29), afterFirst.Migration.WorkerCursor);

                var refused = await Assert.ThrowsAsync<RetrievalException>(() => second.RunBackfillStepAsync(Collection, 30, CancellationToken.None));
                Assert.Equal(ErrorKind.FailedPrecondition, refused.Kind);
                Assert.Contains("worker cursor", refused.Message, StringComparison.Ordinal);
                Assert.Equal(afterFirst, await StoredAsync(directory));

                // Node two takes over: it adopts the stored progress and walks on from node one's cursor to the end.
                Assert.True(await second.AdoptStoredBackfillProgressAsync(Collection, Migration, CancellationToken.None));
                var walked = 0;
                int step;
                while ((step = await second.RunBackfillStepAsync(Collection, 30, CancellationToken.None)) > 0)
                {
                    walked += step;
                }

                Assert.Equal(Anchors + ToBackfill - 30, walked);

                // Node one is the stale runner now: refused whole, like node two before it.
                var done = await StoredAsync(directory);
                await Assert.ThrowsAsync<RetrievalException>(() => first.RunBackfillStepAsync(Collection, 30, CancellationToken.None));
                Assert.Equal(done, await StoredAsync(directory));
                Assert.Equal((ToBackfill, Id(Anchors + ToBackfill - 1)), (done.Migration.Backfilled, done.Migration.WorkerCursor));
            }

            // A fresh load agrees: every item holds what the producer makes of its old vector, counted once.
            await using var reloaded = await OpenAsync(directory);
            var info = await reloaded.GetMigrationAsync(Collection, Migration, CancellationToken.None);
            Assert.Equal((long)ToBackfill, info.Row.Backfilled);
            Assert.Equal((Anchors + ToBackfill, 0L), (info.Progress!.NativeItems, info.Progress.MissingNewItems));
            var items = reloaded.GetItems(Collection, [.. Enumerable.Range(0, Anchors + ToBackfill).Select(Id)], withVectors: true);
            Assert.All(items, item => Assert.Equal(DoublingProducer.Produce(item.Vectors!["old"]), item.Vectors!["new"]));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task SoleRunner_ConsecutiveSteps_AreNeverRefused()
    {
        var directory = NewDirectory();
        try
        {
            await using var engine = await OpenAsync(directory);
            await SetUpBackfillingMigrationAsync(engine);
            var walked = 0;
            int step;
            while ((step = await engine.RunBackfillStepAsync(Collection, 25, CancellationToken.None)) > 0)
            {
                walked += step;
            }

            Assert.Equal(Anchors + ToBackfill, walked);
            var info = await engine.GetMigrationAsync(Collection, Migration, CancellationToken.None);
            Assert.Equal((long)ToBackfill, info.Row.Backfilled);
            Assert.Equal(0, info.Progress!.MissingNewItems);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task SetUpBackfillingMigrationAsync(RetrievalEngine engine)
    {
        await engine.CreateCollectionAsync(Collection, [Space("old", 4, Metric.L2), Space("new", 4, Metric.L2)], "old", CancellationToken.None);
        var random = new Random(5);
        var items = new List<ItemWrite>();
        for (var i = 0; i < Anchors + ToBackfill; i++)
        {
            var old = Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble()).ToArray();
            var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal) { ["old"] = old };
            if (i < Anchors)
            {
                vectors["new"] = DoublingProducer.Produce(old);
            }

            items.Add(new ItemWrite(Id(i), $$"""{"i":{{i}}}""", vectors));
        }

        await engine.UpsertAsync(Collection, items, CancellationToken.None);
        await engine.PlanMigrationAsync(Collection, new MigrationPlan(Migration, "old", "new", DoublingProducer.Name, new MigrationParameters()), null, CancellationToken.None);
        await engine.FitMigrationAsync(Collection, Migration, null, [], [], null, CancellationToken.None);
        await engine.ActivateMigrationAsync(Collection, Migration, force: true, null, CancellationToken.None);
        await engine.StartBackfillAsync(Collection, Migration, itemsPerSecond: 0, null, CancellationToken.None);
    }

    private static string Id(int i) => $"item-{i:D4}";

    private static async Task<RetrievalEngine> OpenAsync(string directory)
    {
        var engine = new RetrievalEngine(new SqliteRetrievalStore(directory), new EngineOptions(), NullLogger<RetrievalEngine>.Instance, backfillProducers: [new DoublingProducer()]);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    private static string NewDirectory() => Path.Combine(Path.GetTempPath(), "retrieval-engine-tests", Guid.NewGuid().ToString("N"));

    /// <summary>The migration row and the collection's last sequence, as the store of record holds them.</summary>
    private static async Task<(StoredMigration Migration, long Sequence)> StoredAsync(string directory)
    {
        await using var store = new SqliteRetrievalStore(directory);
        await store.OpenAsync(CancellationToken.None);
        return ((await store.GetMigrationAsync(Collection, Migration, CancellationToken.None))!, await store.GetLastSequenceAsync(Collection, CancellationToken.None));
    }

    /// <summary>A deterministic server-side producer: the new vector is twice the old one.</summary>
    private sealed class DoublingProducer : IBackfillVectorProducer
    {
        public const string Name = "doubling";

        public static float[] Produce(float[] old) => [.. old.Select(x => x * 2)];

        public string? WhyNot(BackfillJob job) => job.Encoder == Name ? null : $"not the '{Name}' producer";

        public Task<IReadOnlyList<ProducedVector?>> ProduceAsync(BackfillJob job, IReadOnlyList<BackfillSourceItem> items, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ProducedVector?>>([.. items.Select(item => new ProducedVector(Produce(item.Vectors[job.FromSpace]), null))]);
    }
}
