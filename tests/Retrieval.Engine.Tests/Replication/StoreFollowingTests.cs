using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Errors;
using Retrieval.Core.Storage;
using Retrieval.Engine.Replication;
using Retrieval.Engine.Tests.Writes;
using Retrieval.Storage.Sqlite;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Replication;

/// <summary>
/// Two engines over one store, each following it as a cluster node does: the catch-up order of a local write that
/// is ahead of the applied sequence, notices that come twice, late or never, and catalog changes made on the other
/// engine. The notices are sent by hand (<see cref="ManualChangeFeed"/>) and the poll is an hour away, so every step
/// is deterministic; PostgreSQL's own notices and the guard are covered in Server.Tests/Cluster.
/// </summary>
public sealed class StoreFollowingTests : IAsyncLifetime
{
    private static readonly StoreFollowOptions HandDriven = new() { PollIntervalMilliseconds = 3_600_000, MissRefreshMilliseconds = 10_000 };

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "retrieval-follow-tests", Guid.NewGuid().ToString("N"));
    private ManualChangeFeed _feedA = null!;
    private ManualChangeFeed _feedB = null!;
    private RetrievalEngine _a = null!;
    private RetrievalEngine _b = null!;

    public async Task InitializeAsync()
    {
        (_a, _feedA) = await OpenAsync();
        (_b, _feedB) = await OpenAsync();
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task LocalWrite_AheadOfTheAppliedSequence_AppliesTheOtherNodesBatchesFirst()
    {
        await _a.CreateCollectionAsync("c", [Space("v", 2)], null, CancellationToken.None);
        await _b.FollowStoreNowAsync();
        await _a.UpsertAsync("c", [Item("x1", "v", [1, 0]), Item("x2", "v", [0, 1])], CancellationToken.None);
        await _a.UpsertAsync("c", [Item("x2", "v", [0.5f, 0.5f])], CancellationToken.None);
        await _a.DeleteAsync("c", ["x1"], CancellationToken.None);

        // B heard of none of them: its own batch commits at sequence 4 and first applies 1 to 3.
        var written = await _b.UpsertAsync("c", [Item("y", "v", [1, 1])], CancellationToken.None);

        Assert.Equal(4, written.Sequence);
        Assert.Empty(_b.GetItems("c", ["x1"], withVectors: false));
        Assert.Equal([0.5f, 0.5f], _b.GetItems("c", ["x2"], withVectors: true).Single().Vectors!["v"]);
        Assert.Equal(["x2", "y"], Ids(_b.Search("c", new SearchQuery("v", [1, 1], 10))).Order(StringComparer.Ordinal));
        // Read-your-writes through the acknowledging node, and A follows B's batch at its notice.
        _feedA.Send(new StoreChangeNotice(StoreChangeKind.Items, "c", 4));
        await WaitForAsync(() => _a.GetItems("c", ["y"], withVectors: false).Count == 1);
        AssertSameSearches("c", "v", 2);
    }

    [Fact]
    public async Task DuplicateAndLateNotices_NeverApplyAnOlderState()
    {
        await _a.CreateCollectionAsync("c", [Space("v", 2)], null, CancellationToken.None);
        await _b.FollowStoreNowAsync();
        await _a.UpsertAsync("c", [Item("x", "v", [1, 0])], CancellationToken.None);
        await _a.UpsertAsync("c", [Item("x", "v", [0, 1])], CancellationToken.None);

        _feedB.Send(new StoreChangeNotice(StoreChangeKind.Items, "c", 2));
        await WaitForAsync(() => _b.GetItems("c", ["x"], withVectors: true) is [{ } x] && x.Vectors!["v"][1] == 1);
        _feedB.Send(new StoreChangeNotice(StoreChangeKind.Items, "c", 1));
        _feedB.Send(new StoreChangeNotice(StoreChangeKind.Items, "c", 2));
        await _b.FollowStoreNowAsync();

        Assert.Equal([0f, 1f], _b.GetItems("c", ["x"], withVectors: true).Single().Vectors!["v"]);
        // The next local write on B takes sequence 3: nothing was applied twice or skipped.
        Assert.Equal(3, (await _b.UpsertAsync("c", [Item("z", "v", [1, 1])], CancellationToken.None)).Sequence);
    }

    [Fact]
    public async Task NoticeNeverSent_TheRoundStillFindsTheBatch()
    {
        await _a.CreateCollectionAsync("c", [Space("v", 2)], null, CancellationToken.None);
        await _a.UpsertAsync("c", [Item("x", "v", [1, 0])], CancellationToken.None);

        // The request names a collection B has not heard of: it reads the catalog again before answering.
        Assert.Equal("c", _b.GetCollection("c").Definition.Name);
        // B's background poll may have adopted "c" between its creation and the upsert; with no notice sent, the next
        // round (the poll's safety net) still finds the batch.
        await _b.FollowStoreNowAsync();
        Assert.Single(_b.GetItems("c", ["x"], withVectors: false));
        Assert.Equal(ErrorKind.NotFound, Assert.Throws<RetrievalException>(() => _b.GetCollection("missing")).Kind);
    }

    [Fact]
    public async Task CatalogChanges_OnOneEngine_AreFollowedByTheOther()
    {
        await _a.CreateCollectionAsync("c", [Space("v", 2)], null, CancellationToken.None);
        await _a.UpsertAsync("c", [Item("x", "v", [1, 0])], CancellationToken.None);
        await _b.FollowStoreNowAsync();

        await _a.AddSpaceAsync("c", Space("w", 3), CancellationToken.None);
        await _a.SetSpaceIndexAsync("c", "v", "HNSW16", CancellationToken.None);
        await _a.ApplyAliasActionsAsync([new AliasAction(AliasActionKind.Create, "live", "c")], CancellationToken.None);
        _feedB.Send(new StoreChangeNotice(StoreChangeKind.Catalog, "c", 0));
        _feedB.Send(new StoreChangeNotice(StoreChangeKind.Catalog, null, 0));
        await _b.FollowStoreNowAsync();

        var followed = _b.GetCollection("live");
        Assert.Equal(["v", "w"], followed.Definition.Spaces.Select(s => s.Name));
        Assert.Equal("HNSW16", followed.Definition.FindSpace("v")!.Index);
        Assert.Equal(_a.GetCollection("c").Definition.Version, followed.Definition.Version);
        // B writes against the new definition: the new space is known there.
        await _b.UpsertAsync("live", [new ItemWrite("y", null, new Dictionary<string, float[]> { ["v"] = [0, 1], ["w"] = [1, 2, 3] })], CancellationToken.None);

        await _a.ApplyAliasActionsAsync([new AliasAction(AliasActionKind.Delete, "live")], CancellationToken.None);
        await _a.DeleteCollectionAsync("c", CancellationToken.None);
        await _b.FollowStoreNowAsync();

        Assert.Empty(_b.ListCollections());
        Assert.Empty(_b.ListAliases());
    }

    private void AssertSameSearches(string collection, string space, int dimension)
    {
        var random = new Random(5);
        for (var i = 0; i < 10; i++)
        {
            var query = new SearchQuery(space, [.. Enumerable.Range(0, dimension).Select(_ => (float)random.NextDouble() - 0.5f)], 10) { Exact = true };
            Assert.Equal(Hits(_a.Search(collection, query)), Hits(_b.Search(collection, query)));
        }
    }

    private static IEnumerable<string> Ids(IReadOnlyList<SearchHit> hits) => hits.Select(h => h.Id);

    private static List<(string, float)> Hits(IReadOnlyList<SearchHit> hits) => [.. hits.Select(h => (h.Id, h.Score))];

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not within 20 s");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task UncertainCommitThatDidNotCommit_WhileAnotherNodeTookTheNextSequence_AppliesTheOtherNodesBatch()
    {
        var faults = UncertainCommitTests.FaultyStore.Over(new SqliteRetrievalStore(_directory));
        await using var c = new RetrievalEngine(
            (IRetrievalStore)(object)faults, new EngineOptions(), NullLogger<RetrievalEngine>.Instance,
            changeFeed: new ManualChangeFeed(new SqliteRetrievalStore(_directory)), follow: HandDriven);
        await c.StartAsync(CancellationToken.None);
        await _a.CreateCollectionAsync("c", [Space("v", 2)], null, CancellationToken.None);
        await c.FollowStoreNowAsync();
        faults.NextWrite = UncertainCommitTests.Fault.LoseConnection;
        await Assert.ThrowsAsync<StoreUnavailableException>(() => c.UpsertAsync("c", [Item("lost", "v", [0, 1])], CancellationToken.None));

        // A commits sequence 1; the delete through C settles its unknown batch first: not C's (which never committed).
        await _a.UpsertAsync("c", [Item("x", "v", [1, 0])], CancellationToken.None);
        var deleted = await c.DeleteAsync("c", ["x"], CancellationToken.None);

        Assert.Equal(1L, deleted.Count);
        Assert.Equal(2, deleted.Sequence);
        Assert.Empty(c.GetItems("c", ["lost", "x"], withVectors: false));
    }

    [Fact]
    public async Task UnknownCollection_WhileTheStoreCannotBeRead_IsUnavailable_NotNotFound()
    {
        var faults = UncertainCommitTests.FaultyStore.Over(new SqliteRetrievalStore(_directory));
        await using var c = new RetrievalEngine(
            new SqliteRetrievalStore(_directory), new EngineOptions(), NullLogger<RetrievalEngine>.Instance,
            changeFeed: new ManualChangeFeed((IRetrievalStore)(object)faults), follow: HandDriven);
        await c.StartAsync(CancellationToken.None);
        await _a.CreateCollectionAsync("c", [Space("v", 2)], null, CancellationToken.None);
        faults.ReadsFail = true;

        Assert.Throws<StoreUnavailableException>(() => c.GetCollection("c"));

        faults.ReadsFail = false;
        Assert.Equal("c", c.GetCollection("c").Definition.Name);
    }

    [Fact]
    public async Task CatalogChange_CommittedDuringAnotherNodesStartUpLoad_IsFollowedByItsFirstRound()
    {
        await _a.CreateCollectionAsync("c", [Space("v", 2)], null, CancellationToken.None);
        var store = LoadHookStore.Over(new SqliteRetrievalStore(_directory), () => _a.AddSpaceAsync("c", Space("w", 3), CancellationToken.None));
        await using var c = new RetrievalEngine(
            store, new EngineOptions(), NullLogger<RetrievalEngine>.Instance,
            changeFeed: new ManualChangeFeed(new SqliteRetrievalStore(_directory)), follow: HandDriven);
        // C loaded the definition before A added a space; its first round must not take the versions for applied.
        await c.StartAsync(CancellationToken.None);
        await c.FollowStoreNowAsync();

        Assert.Equal(["v", "w"], c.GetCollection("c").Definition.Spaces.Select(s => s.Name));
    }

    private async Task<(RetrievalEngine, ManualChangeFeed)> OpenAsync()
    {
        var feed = new ManualChangeFeed(new SqliteRetrievalStore(_directory));
        var engine = new RetrievalEngine(
            new SqliteRetrievalStore(_directory), new EngineOptions(), NullLogger<RetrievalEngine>.Instance, changeFeed: feed, follow: HandDriven);
        await engine.StartAsync(CancellationToken.None);
        return (engine, feed);
    }
}
