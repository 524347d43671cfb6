using System.Text.Json;
using Retrieval.Core.Filtering;
using Retrieval.Core.Migrations;
using Retrieval.Engine.Indexes;
using Retrieval.Storage.Sqlite;

namespace Retrieval.Engine.Tests.Shards;

/// <summary>
/// A data directory written by the build before shards (tests/TestData/unsharded-sqlite) opens as one-shard
/// collections: same items, same answers, the open migration intact, and its pre-shard snapshot used as shard 0.
/// </summary>
public sealed class UnshardedDataTests : IDisposable
{
    private static readonly float[] Query = [0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 0.2f, 0.6f, -0.1f];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "retrieval-unsharded", Guid.NewGuid().ToString("N"));

    public UnshardedDataTests()
    {
        var fixture = Path.Combine(AppContext.BaseDirectory, "TestData", "unsharded-sqlite");
        foreach (var file in Directory.EnumerateFiles(fixture, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(_directory, Path.GetRelativePath(fixture, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Fact]
    public async Task Open_DataWrittenBeforeShards_ServesItAsOneShardWithTheSameAnswers()
    {
        var expected = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_directory, "expected.json"))).RootElement;
        var log = new ListLogger<RetrievalEngine>();
        await using (var engine = await OpenAsync(log))
        {
            var collection = engine.GetCollection("docs");
            Assert.Equal(1, collection.Definition.Shards);
            Assert.Equal(expected.GetProperty("count").GetInt64(), engine.Count("docs", null));
            Assert.Contains(log.Lines, l => l.Contains("Collection docs shard 0: snapshot loaded", StringComparison.Ordinal));
            Assert.Equal(collection.ItemCount, engine.GetSpaceIndexStatus("docs", "v1").IndexedVectors);

            Assert.Equal(Strings(expected.GetProperty("v1")), Ids(engine.Search("docs", new SearchQuery("v1", Query, 10, Exact: true))));
            var red = new PayloadFilter([new FilterCondition("color", ["color"], new MatchCondition([ScalarValue.Of("red")]), null)], [], []);
            Assert.Equal(Strings(expected.GetProperty("v1_red")), Ids(engine.Search("docs", new SearchQuery("v1", Query, 5, Filter: red, Exact: true))));
            var mixed = engine.Search("docs", new SearchQuery("v2", Query, 10, Exact: true));
            Assert.Equal(
                expected.GetProperty("v2_mixed").EnumerateArray().Select(pair => $"{pair[0].GetString()}/{pair[1].GetString()}"),
                mixed.Select(h => $"{h.Id}/{h.Path}"));

            var migration = await engine.GetMigrationAsync("docs", "mig-legacy", CancellationToken.None);
            Assert.Equal(MigrationPhase.Active, migration.Row.Phase);
            await engine.UpsertAsync("docs", [EngineHarness.Item("after-upgrade", "v1", Query)], CancellationToken.None);
        }

        // The shutdown snapshot is written in the shard layout, and the pre-shard file is gone.
        Assert.True(File.Exists(Path.Combine(_directory, "snapshots", "docs", "shard-0.snapshot")));
        Assert.False(File.Exists(Path.Combine(_directory, "snapshots", "docs.snapshot")));
        await using (var reopened = await OpenAsync(new ListLogger<RetrievalEngine>()))
        {
            Assert.Equal(expected.GetProperty("count").GetInt64() + 1, reopened.Count("docs", null));
            Assert.Equal("after-upgrade", reopened.Search("docs", new SearchQuery("v1", Query, 1, Exact: true))[0].Id);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private async Task<RetrievalEngine> OpenAsync(ListLogger<RetrievalEngine> log)
    {
        var indexing = new IndexingOptions { SealThreshold = 50, BackgroundOptimizer = false, SnapshotDirectory = Path.Combine(_directory, "snapshots") };
        var engine = new RetrievalEngine(new SqliteRetrievalStore(_directory), new EngineOptions(), log, indexing);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    private static List<string> Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    private static List<string> Ids(IReadOnlyList<SearchHit> hits) => [.. hits.Select(h => h.Id)];
}
