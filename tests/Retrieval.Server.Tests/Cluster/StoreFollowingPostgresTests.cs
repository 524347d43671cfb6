using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.Replication;
using Retrieval.Storage.Postgres;
using Retrieval.Testing;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// Engines over one PostgreSQL database, as nodes of a cluster are: PostgreSQL's notices wake a follower with no poll
/// at all, and a node that has not yet followed another's definition or migration change has its write refused
/// ABORTED by the store (nothing written) and accepted once it followed. Needs <c>RETRIEVAL_TEST_POSTGRES</c>.
/// </summary>
public sealed class StoreFollowingPostgresTests : IAsyncLifetime
{
    private static readonly StoreFollowOptions NoticesOnly = new() { PollIntervalMilliseconds = 3_600_000 };
    private static readonly StoreFollowOptions HandDriven = new() { PollIntervalMilliseconds = 3_600_000, Listen = false, MissRefreshMilliseconds = 10_000 };

    private TestDatabase? _database;
    private readonly List<RetrievalEngine> _engines = [];

    public async Task InitializeAsync()
    {
        if (PostgresTestEnvironment.SkipReason is null)
        {
            _database = await TestDatabase.CreateAsync(CancellationToken.None);
            await PostgresSchema.UpgradeAsync(_database.ConnectionString, CancellationToken.None);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var engine in _engines)
        {
            await engine.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task Notices_WakeAFollowerThatNeverPolls()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var a = await StartAsync(NoticesOnly);
        var b = await StartAsync(NoticesOnly);

        await a.CreateCollectionAsync("c", [Space("v", 2)], null, CancellationToken.None);
        await WaitForAsync(() => b.ListCollections().Count == 1);
        await a.UpsertAsync("c", [Item("x", ("v", [1, 2]))], CancellationToken.None);
        await WaitForAsync(() => b.GetItems("c", ["x"], withVectors: false).Count == 1);
        await a.AddSpaceAsync("c", Space("w", 3), CancellationToken.None);
        await WaitForAsync(() => b.GetCollection("c").Definition.FindSpace("w") is not null);
        await a.DeleteCollectionAsync("c", CancellationToken.None);
        await WaitForAsync(() => b.ListCollections().Count == 0);
    }

    [SkippableFact]
    public async Task StaleDefinition_WriteThroughTheLaggingNode_IsAbortedThenAcceptedOnceFollowed()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var a = await StartAsync(NoticesOnly);
        var lagging = await StartAsync(HandDriven);
        await a.CreateCollectionAsync("c", [Space("v", 2), Space("w", 2)], null, CancellationToken.None);
        await a.UpsertAsync("c", [Item("x", ("v", [1, 0]), ("w", [0, 1]))], CancellationToken.None);
        await lagging.FollowStoreNowAsync();

        await a.DeleteSpaceAsync("c", "w", CancellationToken.None);
        var stale = await Assert.ThrowsAsync<RetrievalException>(() =>
            lagging.UpsertAsync("c", [Item("y", ("v", [1, 1]), ("w", [1, 1]))], CancellationToken.None));

        Assert.Equal(ErrorKind.Aborted, stale.Kind);
        Assert.Empty(a.GetItems("c", ["y"], withVectors: false));
        // A definition change from the lagging node is refused the same way: it would undo the other node's.
        var change = await Assert.ThrowsAsync<RetrievalException>(() => lagging.AddSpaceAsync("c", Space("z", 2), CancellationToken.None));
        Assert.Equal(ErrorKind.Aborted, change.Kind);

        await lagging.FollowStoreNowAsync();
        Assert.Equal(ErrorKind.InvalidArgument, (await Assert.ThrowsAsync<RetrievalException>(() =>
            lagging.UpsertAsync("c", [Item("y", ("v", [1, 1]), ("w", [1, 1]))], CancellationToken.None))).Kind);
        await lagging.UpsertAsync("c", [Item("y", ("v", [1, 1]))], CancellationToken.None);
        await WaitForAsync(() => a.GetItems("c", ["y"], withVectors: false).Count == 1);
        Assert.Null(lagging.GetCollection("c").Definition.FindSpace("w"));
    }

    [SkippableFact]
    public async Task MigrationPlannedOnAnotherNode_WriteThroughTheLaggingNode_IsAbortedThenAcceptedOnceFollowed()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var a = await StartAsync(NoticesOnly);
        var lagging = await StartAsync(HandDriven);
        await a.CreateCollectionAsync("c", [Space("old", 2), Space("new", 2)], "old", CancellationToken.None);
        await lagging.FollowStoreNowAsync();

        await a.PlanMigrationAsync("c", new MigrationPlan("m1", "old", "new", null, new MigrationParameters()), "test", CancellationToken.None);
        var stale = await Assert.ThrowsAsync<RetrievalException>(() =>
            lagging.UpsertAsync("c", [Item("x", ("old", [1, 0]))], CancellationToken.None));

        Assert.Equal(ErrorKind.Aborted, stale.Kind);
        await lagging.FollowStoreNowAsync();
        await lagging.UpsertAsync("c", [Item("x", ("old", [1, 0]))], CancellationToken.None);
        Assert.Equal("m1", (await lagging.GetMigrationAsync("c", "m1", CancellationToken.None)).Row.Id);
    }

    private async Task<RetrievalEngine> StartAsync(StoreFollowOptions follow)
    {
        var engine = new RetrievalEngine(
            new PostgresRetrievalStore(_database!.ConnectionString) { NotifyWrites = true },
            new EngineOptions(),
            NullLogger<RetrievalEngine>.Instance,
            changeFeed: new PostgresChangeFeed(_database.ConnectionString),
            follow: follow);
        _engines.Add(engine);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    private static SpaceDefinition Space(string name, int dimension) => new(name, dimension, Metric.InnerProduct, new ModelRef("test", "1"));

    private static ItemWrite Item(string id, params (string Space, float[] Vector)[] vectors) =>
        new(id, null, vectors.ToDictionary(v => v.Space, v => v.Vector));

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not within 10 s (no poll runs here: only a notice can have woken the follower)");
            await Task.Delay(10);
        }
    }
}
