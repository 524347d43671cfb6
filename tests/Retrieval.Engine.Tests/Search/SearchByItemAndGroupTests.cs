using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Search;

/// <summary>
/// Search by item (the item's stored vector, the item left out) and grouped search (groupBy, groupSize), on a
/// one-shard and a sharded collection, with filters, checked against a brute-force answer over every item.
/// </summary>
public sealed class SearchByItemAndGroupTests
{
    private const int Dimension = 8;
    private static readonly string[] Colors = ["red", "green", "blue", "cyan", "teal"];

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task ItemId_SearchesWithTheStoredVector_AndLeavesTheItemOut(int shards)
    {
        await using var harness = await StartAsync();
        var vectors = await FillAsync(harness, shards, count: 300);
        foreach (var id in new[] { "i0", "i17", "i299" })
        {
            var byItem = harness.Engine.Search("c", new SearchQuery("v", [], 10) { ItemId = id });
            var byVector = harness.Engine.Search("c", new SearchQuery("v", vectors[id], 11));
            Assert.Equal(id, byVector[0].Id);
            Assert.Equal(byVector.Skip(1).Select(h => h.Id), byItem.Select(h => h.Id));
            Assert.DoesNotContain(byItem, h => h.Id == id);

            var red = Filter("color", "red");
            var filtered = harness.Engine.Search("c", new SearchQuery("v", [], 5, Filter: red, Offset: 2) { ItemId = id });
            var expected = harness.Engine.Search("c", new SearchQuery("v", vectors[id], 8, Filter: red)).Where(h => h.Id != id).Skip(2).Take(5);
            Assert.Equal(expected.Select(h => h.Id), filtered.Select(h => h.Id));
        }
    }

    [Fact]
    public async Task ItemId_Errors_NameTheItemAndChangeNothing()
    {
        await using var harness = await StartAsync();
        await harness.Engine.CreateCollectionAsync("c", [Space("v", Dimension), Space("w", 2)], "v", CancellationToken.None);
        await harness.Engine.UpsertAsync("c", [Item("a", "v", Vector(1)), Item("b", "v", Vector(2))], CancellationToken.None);

        var missing = Assert.Throws<RetrievalException>(() => harness.Engine.Search("c", new SearchQuery("v", [], 3) { ItemId = "nope" }));
        Assert.Equal(ErrorKind.NotFound, missing.Kind);
        Assert.Contains("itemId 'nope'", missing.Message, StringComparison.Ordinal);

        var noVector = Assert.Throws<RetrievalException>(() => harness.Engine.Search("c", new SearchQuery("w", [], 3) { ItemId = "a" }));
        Assert.Equal(ErrorKind.FailedPrecondition, noVector.Kind);
        Assert.Contains("space 'w'", noVector.Message, StringComparison.Ordinal);

        var both = Assert.Throws<RetrievalException>(() => harness.Engine.Search("c", new SearchQuery("v", Vector(3), 3) { ItemId = "a" }));
        Assert.Equal(ErrorKind.InvalidArgument, both.Kind);
        Assert.Equal("itemId", both.Path?.ToString());

        var only = Assert.Single(harness.Engine.Search("c", new SearchQuery("v", [], 3) { ItemId = "a" }));
        Assert.Equal("b", only.Id);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task GroupBy_AnswersTheBestGroupsWithTheirBestHits(int shards)
    {
        await using var harness = await StartAsync();
        var vectors = await FillAsync(harness, shards, count: 400);
        var query = Vector(9_999);
        foreach (var (k, size, filter) in new (int, int, PayloadFilter?)[] { (3, 2, null), (5, 4, null), (2, 3, Filter("parity", "odd")), (10, 1, null) })
        {
            var result = harness.Engine.SearchWithRoute("c", new SearchQuery("v", query, k, Filter: filter, WithPayload: true) { GroupBy = "color", GroupSize = size });
            Assert.Empty(result.Hits);
            var all = harness.Engine.Search("c", new SearchQuery("v", query, 400, Filter: filter, WithPayload: true));
            var expected = all.Where(h => ColorOf(h) is not null)
                .GroupBy(ColorOf)
                .Select(g => (Key: g.Key!, Ids: g.Take(size).Select(h => h.Id).ToList()))
                .Take(k)
                .ToList();
            Assert.Equal(expected.Select(g => g.Key), result.Groups!.Select(g => g.Key.Text));
            Assert.Equal(expected.Select(g => g.Ids), result.Groups!.Select(g => g.Hits.Select(h => h.Id).ToList()));
            Assert.All(result.Groups!, g => Assert.All(g.Hits, h => Assert.NotNull(h.PayloadJson)));
        }

        // With an item as the query: the item is in no group.
        var byItem = harness.Engine.SearchWithRoute("c", new SearchQuery("v", [], 5) { ItemId = "i3", GroupBy = "color", GroupSize = 3 });
        Assert.DoesNotContain(byItem.Groups!.SelectMany(g => g.Hits), h => h.Id == "i3");
        Assert.Equal(5, byItem.Groups!.Count);
    }

    [Fact]
    public async Task GroupBy_ReadsDeeper_WhenTheBestHitsAllShareOneGroup_AndGroupsArrayAndNumberValues()
    {
        await using var harness = await StartAsync();
        await harness.Engine.CreateCollectionAsync("c", [Space("v", 2)], null, CancellationToken.None);
        // 500 items near the query all in group "near"; the one item of group 7 is the farthest of all.
        var items = Enumerable.Range(0, 500).Select(i => Item($"n{i}", "v", [1f, i / 1000f], """{"g":"near"}""")).ToList();
        items.Add(Item("far", "v", [-1f, 0f], """{"g":7}"""));
        items.Add(Item("both", "v", [0.5f, 0f], """{"g":["near","x"]}"""));
        items.Add(Item("none", "v", [0.9f, 0f], """{"other":1}"""));
        await harness.Engine.UpsertAsync("c", items, CancellationToken.None);

        var result = harness.Engine.SearchWithRoute("c", new SearchQuery("v", [1f, 0f], 3) { GroupBy = "g", GroupSize = 2 });
        var groups = result.Groups!;
        Assert.Equal(3, groups.Count);
        Assert.Equal(ScalarValue.Of("near"), groups[0].Key);
        Assert.Equal(["n0", "n1"], groups[0].Hits.Select(h => h.Id));
        Assert.Equal(ScalarValue.Of("x"), groups[1].Key);
        Assert.Equal(["both"], groups[1].Hits.Select(h => h.Id));
        Assert.Equal(ScalarValue.Of(7), groups[2].Key);
        Assert.Equal(["far"], groups[2].Hits.Select(h => h.Id));
        Assert.DoesNotContain(groups.SelectMany(g => g.Hits), h => h.Id == "none");
    }

    [Fact]
    public async Task GroupBy_BadFields_AreNamed()
    {
        await using var harness = await StartAsync();
        await FillAsync(harness, 1, count: 10);
        var query = new SearchQuery("v", Vector(1), 3);
        AssertInvalid(harness, query with { Offset = 1, GroupBy = "color" }, "offset");
        AssertInvalid(harness, query with { GroupSize = 2 }, "groupSize");
        AssertInvalid(harness, query with { GroupBy = "color", GroupSize = -1 }, "groupSize");
        AssertInvalid(harness, query with { GroupBy = "color", GroupSize = 5_000 }, "groupSize");
        AssertInvalid(harness, query with { GroupBy = "a..b" }, "groupBy");
    }

    private static void AssertInvalid(EngineHarness harness, SearchQuery query, string field)
    {
        var error = Assert.Throws<RetrievalException>(() => harness.Engine.Search("c", query));
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(field, error.Path?.ToString());
    }

    private static async Task<Dictionary<string, float[]>> FillAsync(EngineHarness harness, int shards, int count)
    {
        await harness.Engine.CreateCollectionAsync("c", [Space("v", Dimension, Metric.Cosine)], null, storeInputs: false, shards, CancellationToken.None);
        var vectors = Enumerable.Range(0, count).ToDictionary(i => $"i{i}", Vector);
        // Every 7th item has no color, so it is in no group.
        var items = vectors.Select((pair, i) => Item(pair.Key, "v", pair.Value, i % 7 == 6
            ? $$"""{"parity":"{{(i % 2 == 0 ? "even" : "odd")}}"}"""
            : $$"""{"color":"{{Colors[i % Colors.Length]}}","parity":"{{(i % 2 == 0 ? "even" : "odd")}}"}""")).ToList();
        await harness.Engine.UpsertAsync("c", items, CancellationToken.None);
        return vectors;
    }

    private static string? ColorOf(SearchHit hit) =>
        System.Text.Json.JsonDocument.Parse(hit.PayloadJson!).RootElement.TryGetProperty("color", out var color) ? color.GetString() : null;

    private static float[] Vector(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble() - 0.5f)];
    }

    private static PayloadFilter Filter(string key, string value) =>
        new([new FilterCondition(key, [key], new MatchCondition([ScalarValue.Of(value)]), null)], [], []);
}
