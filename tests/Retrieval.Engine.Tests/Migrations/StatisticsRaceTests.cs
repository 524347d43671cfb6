using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Maps;
using Retrieval.Core.Storage;
using Retrieval.Engine.Migrations;
using Retrieval.Storage.Sqlite;

namespace Retrieval.Engine.Tests.Migrations;

/// <summary>
/// Review finding 4 (issue 18): online-refit statistics written through two nodes at once. Another node's batch replaces
/// the stored statistics between this node's read and its commit; the store refuses this node's batch (compare-and-set on
/// the statistics version), and the engine reads them again and commits its own pairs on top: both nodes' pairs are kept.
/// </summary>
public sealed class StatisticsRaceTests : IAsyncDisposable
{
    private const int D = 6;
    private const int Items = 200;
    private const string Collection = "race";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "retrieval-engine-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Batch_WhoseStatisticsAnotherNodeReplacedFirst_IsRetriedOverThemAndLosesNoPair()
    {
        var inner = new SqliteRetrievalStore(_directory);
        var store = RacingStore.Over(inner);
        var racing = (RacingStore)(object)store;
        var rng = new Random(7);
        var newVectors = Enumerable.Range(0, Items + 1).Select(_ => Enumerable.Range(0, D).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray()).ToArray();
        var oldVectors = newVectors.Select(v => v.Select(x => (x * 0.9f) + ((float)rng.NextDouble() * 0.05f)).ToArray()).ToArray();
        var anchors = Enumerable.Range(0, 20).Select(i => (newVectors[i], oldVectors[i])).ToList();

        await using (var engine = new RetrievalEngine(store, new EngineOptions(), NullLogger<RetrievalEngine>.Instance))
        {
            await engine.StartAsync(CancellationToken.None);
            await engine.CreateCollectionAsync(Collection, [EngineHarness.Space("old", D), EngineHarness.Space("new", D)], "old", CancellationToken.None);
            await engine.UpsertAsync(Collection, Enumerable.Range(0, Items).Select(i => EngineHarness.Item(Id(i), "old", oldVectors[i])).ToList(), CancellationToken.None);
            var settings = new MigrationParameters { MapKind = MapKind.CanonicalQ, Seed = 1, Refit = new OnlineRefitSettings { EveryPairs = int.MaxValue, EverySeconds = 0 } };
            await engine.PlanMigrationAsync(Collection, new MigrationPlan("m", "old", "new", null, settings), "test", CancellationToken.None);
            await engine.FitMigrationAsync(Collection, "m", null, anchors, [], "test", CancellationToken.None);
            await engine.ActivateMigrationAsync(Collection, "m", force: true, "test", CancellationToken.None);
            await engine.StartBackfillAsync(Collection, "m", null, "test", CancellationToken.None);
            await engine.BackfillAsync(Collection, "m", Enumerable.Range(0, 100).Select(i => new BackfillVector(Id(i), newVectors[i])).ToList(), null, CancellationToken.None);

            // The next batch races "another node", whose batch adds the pair of an item it wrote with both vectors.
            racing.Competitor = (newVectors[Items], oldVectors[Items]);
            await engine.BackfillAsync(Collection, "m", Enumerable.Range(100, 100).Select(i => new BackfillVector(Id(i), newVectors[i])).ToList(), null, CancellationToken.None);
            Assert.Equal(1, racing.Races);
            Assert.Equal(1, racing.Conflicts);
        }

        await using var check = new SqliteRetrievalStore(_directory);
        await check.OpenAsync(CancellationToken.None);
        var stored = (await check.GetMigrationStatisticsAsync(Collection, "m", CancellationToken.None))!;
        var statistics = AnchorStatistics.Deserialize(stored.Data);
        // Fit's inline anchors, every backfilled pair outside the held-out slice, and the other node's pair: none lost, none twice.
        var outside = Enumerable.Range(0, Items).Where(i => !HeldOutSlice.Contains(Id(i), 0.1, 1)).ToList();
        var rows = anchors.Select(a => (a.Item1, a.Item2)).Concat(outside.Select(i => (newVectors[i], oldVectors[i]))).Append((newVectors[Items], oldVectors[Items])).ToList();
        var expected = AnchorStatistics.Of(new AnchorSet(rows.SelectMany(r => r.Item1).ToArray(), D, rows.SelectMany(r => r.Item2).ToArray(), D));
        Assert.Equal(expected.Count, statistics.Count);
        Assert.Equal(Items - outside.Count, stored.HeldOutPairs);
        Assert.True(expected.Cross.ToArray().Zip(statistics.Cross.ToArray(), (a, b) => Math.Abs(a - b)).Max() < 1e-6);
        // Fit's seed (0), the first batch, the other node's, then this node's retried one.
        Assert.True(stored.Version >= 3, $"version {stored.Version}");
    }

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return ValueTask.CompletedTask;
    }

    private static string Id(int i) => $"r{i:D3}";

    /// <summary>
    /// A store on which, once <see cref="Competitor"/> is set, the next batch carrying statistics is preceded by another
    /// node's committed batch: the competitor's item written with both vectors and its pair added to the statistics read
    /// at the same version. Counts the conflicts the engine's batches meet.
    /// </summary>
    public class RacingStore : DispatchProxy
    {
        private SqliteRetrievalStore _inner = null!;

        internal (float[] New, float[] Old)? Competitor { get; set; }

        internal int Races { get; private set; }

        internal int Conflicts { get; private set; }

        internal static IRetrievalStore Over(SqliteRetrievalStore inner)
        {
            var proxy = Create<IRetrievalStore, RacingStore>();
            ((RacingStore)(object)proxy)._inner = inner;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            if (targetMethod.Name == nameof(IItemStore.WriteAsync) && args![1] is WriteBatch { Migration.Statistics: not null } batch)
            {
                return WriteAsync((string)args[0]!, batch);
            }

            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }
        }

        private async Task<long> WriteAsync(string collection, WriteBatch batch)
        {
            if (Competitor is { } pair)
            {
                Competitor = null;
                Races++;
                var stored = (await _inner.GetMigrationStatisticsAsync(collection, "m", CancellationToken.None))!;
                var statistics = AnchorStatistics.Deserialize(stored.Data);
                statistics.Add(new AnchorSet(pair.New, D, pair.Old, D));
                var marks = batch.Migration!;
                var other = WriteBatch.ForUpserts([new ItemWrite("other", null, new Dictionary<string, float[]> { ["old"] = pair.Old, ["new"] = pair.New })]) with
                {
                    Migration = new MigrationMarks(marks.MigrationId, marks.Phase, 1, 0, 0, [], [])
                    {
                        Statistics = new MigrationStatisticsWrite(statistics.Serialize(), stored.HeldOutPairs, stored.SeedPairs, []) { ExpectedVersion = stored.Version },
                    },
                };
                await _inner.WriteAsync(collection, other, CancellationToken.None);
            }

            try
            {
                return await _inner.WriteAsync(collection, batch, CancellationToken.None);
            }
            catch (MigrationStatisticsConflictException)
            {
                Conflicts++;
                throw;
            }
        }
    }
}
