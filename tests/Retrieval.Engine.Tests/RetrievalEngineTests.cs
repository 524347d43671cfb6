using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests;

public sealed class RetrievalEngineTests
{
    [Fact]
    public async Task Upsert_IsVisibleToTheNextSearch()
    {
        await using var harness = await StartAsync();
        var engine = harness.Engine;
        await engine.CreateCollectionAsync("c", [Space("v1", 2)], null, CancellationToken.None);
        await engine.UpsertAsync("c", [Item("a", "v1", [1, 0]), Item("b", "v1", [0, 1])], CancellationToken.None);

        var hits = engine.Search("c", new SearchQuery(null, [1, 0.1f], 1));
        Assert.Equal("a", hits.Single().Id);
    }

    [Fact]
    public async Task Reopen_RebuildsIndexesPayloadsAndDefinitionsFromTheStore()
    {
        await using var harness = await StartAsync();
        await harness.Engine.CreateCollectionAsync("c", [Space("v1", 3, Metric.Cosine), Space("v2", 2, Metric.L2)], "v2", CancellationToken.None);
        await harness.Engine.UpsertAsync("c", [new("a", """{"x":1}""", new Dictionary<string, float[]> { ["v1"] = [3, 0, 4], ["v2"] = [1, 1] })], CancellationToken.None);
        await harness.Engine.UpsertAsync("c", [Item("b", "v2", [5, 5])], CancellationToken.None);
        await harness.Engine.DeleteAsync("c", ["b"], CancellationToken.None);

        await harness.ReopenAsync();

        var info = harness.Engine.GetCollection("c");
        Assert.Equal("v2", info.Definition.DefaultSpace);
        Assert.Equal(1, info.ItemCount);
        var item = harness.Engine.GetItems("c", ["a"], withVectors: true).Single();
        Assert.Equal("""{"x":1}""", item.PayloadJson);
        Assert.Equal([0.6f, 0, 0.8f], item.Vectors!["v1"]);
        Assert.Equal(-1f, harness.Engine.Search("c", new SearchQuery("v2", [1, 0], 1)).Single().Score);
    }

    [Fact]
    public async Task Upsert_InvalidItemAnywhereInBatch_WritesNothing()
    {
        await using var harness = await StartAsync();
        await harness.Engine.CreateCollectionAsync("c", [Space("v1", 2)], null, CancellationToken.None);
        var error = await Assert.ThrowsAsync<RetrievalException>(() => harness.Engine.UpsertAsync("c",
            [Item("a", "v1", [1, 0]), Item("b", "v1", [float.NaN, 0])], CancellationToken.None));
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(FieldPath.Of("items").Index(1).Member("vectors").Key("v1"), error.Path);
        await harness.ReopenAsync();
        Assert.Equal(0, harness.Engine.Count("c", null));
    }

    [Fact]
    public async Task DeleteByFilter_RemovesOnlyMatchingItems()
    {
        await using var harness = await StartAsync();
        await harness.Engine.CreateCollectionAsync("c", [Space("v1", 1)], null, CancellationToken.None);
        await harness.Engine.UpsertAsync("c", Enumerable.Range(0, 20).Select(i => Item($"i{i}", "v1", [i], $$"""{"n":{{i}}}""")).ToList(), CancellationToken.None);
        var filter = new PayloadFilter([new FilterCondition("n", ["n"], null, new RangeCondition(null, 15, null, null))], [], []);

        var result = await harness.Engine.DeleteAsync("c", filter, CancellationToken.None);

        Assert.Equal(5, result.Count);
        Assert.Equal(15, harness.Engine.Count("c", null));
        Assert.Equal("i14", harness.Engine.Search("c", new SearchQuery(null, [1], 1)).Single().Id);
    }

    [Fact]
    public async Task RemovingItems_KeepsRowMappingConsistentForLaterSearches()
    {
        await using var harness = await StartAsync();
        await harness.Engine.CreateCollectionAsync("c", [Space("v1", 1)], null, CancellationToken.None);
        await harness.Engine.UpsertAsync("c", Enumerable.Range(0, 50).Select(i => Item($"i{i}", "v1", [i])).ToList(), CancellationToken.None);
        await harness.Engine.DeleteAsync("c", Enumerable.Range(0, 50).Where(i => i % 3 == 0).Select(i => $"i{i}").ToList(), CancellationToken.None);
        await harness.Engine.UpsertAsync("c", [Item("new", "v1", [100])], CancellationToken.None);

        var hits = harness.Engine.Search("c", new SearchQuery(null, [1], 50));
        var expected = new[] { "new" }.Concat(Enumerable.Range(0, 50).Where(i => i % 3 != 0).OrderByDescending(i => i).Select(i => $"i{i}"));
        Assert.Equal(expected, hits.Select(h => h.Id));
        Assert.All(hits.Where(h => h.Id != "new"), h => Assert.Equal(float.Parse(h.Id[1..], System.Globalization.CultureInfo.InvariantCulture), h.Score));
    }

    [Fact]
    public async Task ConcurrentWritesAndSearches_LoseNothingAndNeverFail()
    {
        await using var harness = await StartAsync();
        await harness.Engine.CreateCollectionAsync("c", [Space("v1", 8)], null, CancellationToken.None);
        using var stop = new CancellationTokenSource();
        // Writers start only once both searchers are searching, so the two really overlap on a busy machine.
        var searchersRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var searches = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var count = 0;
            while (!stop.IsCancellationRequested)
            {
                var hits = harness.Engine.Search("c", new SearchQuery(null, [1, 0, 0, 0, 0, 0, 0, 0], 5));
                Assert.True(hits.Count <= 5);
                if (count++ == 0 && Interlocked.Increment(ref started) == 2)
                {
                    searchersRunning.SetResult();
                }
            }

            return count;
        })).ToList();
        await searchersRunning.Task;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var b = 0; b < 20; b++)
            {
                var items = Enumerable.Range(0, 25).Select(i => Item($"w{w}-{b}-{i}", "v1", [.. Enumerable.Range(0, 8).Select(_ => (float)Random.Shared.NextDouble())])).ToList();
                await harness.Engine.UpsertAsync("c", items, CancellationToken.None);
            }
        })).ToList();

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        Assert.All(await Task.WhenAll(searches), count => Assert.True(count > 0));
        Assert.Equal(4 * 20 * 25, harness.Engine.Count("c", null));
        await harness.ReopenAsync();
        Assert.Equal(4 * 20 * 25, harness.Engine.Count("c", null));
    }

    [Fact]
    public async Task Search_BeforeStart_IsUnavailable()
    {
        var directory = Path.Combine(Path.GetTempPath(), "retrieval-engine-tests", Guid.NewGuid().ToString("N"));
        await using var engine = new RetrievalEngine(new Storage.Sqlite.SqliteRetrievalStore(directory), new EngineOptions(), Microsoft.Extensions.Logging.Abstractions.NullLogger<RetrievalEngine>.Instance);
        var error = Assert.Throws<RetrievalException>(() => engine.ListCollections());
        Assert.Equal(ErrorKind.Unavailable, error.Kind);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
