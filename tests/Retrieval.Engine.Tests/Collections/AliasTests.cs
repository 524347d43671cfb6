using Retrieval.Core.Errors;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Collections;

/// <summary>
/// Collection aliases: every call that names a collection accepts an alias; changes apply all or nothing, persist, and
/// a switch is atomic for concurrent searches (blue/green re-indexing).
/// </summary>
public sealed class AliasTests
{
    private static AliasAction Create(string alias, string collection) => new(AliasActionKind.Create, alias, collection);

    private static AliasAction Switch(string alias, string collection) => new(AliasActionKind.Switch, alias, collection);

    private static AliasAction Delete(string alias) => new(AliasActionKind.Delete, alias);

    [Fact]
    public async Task Alias_IsAcceptedWhereverACollectionIsNamed_AndSurvivesRestart()
    {
        await using var harness = await StartAsync();
        await CreateAsync(harness, "blue", "b", 20);
        await harness.Engine.ApplyAliasActionsAsync([Create("prod", "blue")], CancellationToken.None);

        await harness.Engine.UpsertAsync("prod", [Item("b-new", "v", [1f, 0f])], CancellationToken.None);
        Assert.Equal(21, harness.Engine.Count("blue", null));
        Assert.Equal(21, harness.Engine.Count("prod", null));
        Assert.Equal("b-new", Assert.Single(harness.Engine.GetItems("prod", ["b-new"], withVectors: false)).Id);
        Assert.Equal("b-new", harness.Engine.Search("prod", new SearchQuery("v", [1f, 0f], 1))[0].Id);
        var info = harness.Engine.GetCollection("prod");
        Assert.Equal("blue", info.Definition.Name);
        Assert.Equal(["prod"], info.Aliases);
        await harness.Engine.SetDefaultSpaceAsync("prod", "v", CancellationToken.None);

        await harness.ReopenAsync();
        Assert.Equal([new AliasInfo("prod", "blue")], harness.Engine.ListAliases());
        Assert.Equal(21, harness.Engine.Count("prod", null));
        Assert.Equal(["prod"], Assert.Single(harness.Engine.ListCollections()).Aliases);
    }

    [Fact]
    public async Task Actions_ApplyAllOrNothing_AndNameTheFailingAction()
    {
        await using var harness = await StartAsync();
        await CreateAsync(harness, "blue", "b", 2);
        await CreateAsync(harness, "green", "g", 2);
        await harness.Engine.ApplyAliasActionsAsync([Create("prod", "blue")], CancellationToken.None);

        // The second action fails: the first (a switch) is not applied either.
        var missing = await Assert.ThrowsAsync<RetrievalException>(() =>
            harness.Engine.ApplyAliasActionsAsync([Switch("prod", "green"), Create("staging", "nope")], CancellationToken.None));
        Assert.Equal(ErrorKind.NotFound, missing.Kind);
        Assert.Contains("actions[1].create.collection", missing.Message, StringComparison.Ordinal);
        Assert.Equal([new AliasInfo("prod", "blue")], harness.Engine.ListAliases());

        await AssertRefusedAsync(harness, [Create("green", "blue")], ErrorKind.AlreadyExists, "collection names");
        await AssertRefusedAsync(harness, [Create("prod", "green")], ErrorKind.AlreadyExists, "already exists");
        await AssertRefusedAsync(harness, [Create("other", "prod")], ErrorKind.InvalidArgument, "is an alias");
        await AssertRefusedAsync(harness, [Switch("unknown", "green")], ErrorKind.NotFound, "actions[0].switch.alias");
        await AssertRefusedAsync(harness, [Delete("unknown")], ErrorKind.NotFound, "actions[0].delete.alias");
        await AssertRefusedAsync(harness, [Create("Bad Name", "green")], ErrorKind.InvalidArgument, "");
        await AssertRefusedAsync(harness, [], ErrorKind.InvalidArgument, "");
        var taken = await Assert.ThrowsAsync<RetrievalException>(() =>
            harness.Engine.CreateCollectionAsync("prod", [Space("v", 2)], null, CancellationToken.None));
        Assert.Equal(ErrorKind.AlreadyExists, taken.Kind);

        // Later actions see earlier ones: delete and create again in one change, then the store agrees after a restart.
        await harness.Engine.ApplyAliasActionsAsync([Delete("prod"), Create("prod", "green"), Create("old", "blue")], CancellationToken.None);
        await harness.ReopenAsync();
        Assert.Equal([new AliasInfo("old", "blue"), new AliasInfo("prod", "green")], harness.Engine.ListAliases());
    }

    [Fact]
    public async Task DeleteCollection_WithAliases_IsRefusedUntilTheyAreGone()
    {
        await using var harness = await StartAsync();
        await CreateAsync(harness, "blue", "b", 2);
        await harness.Engine.ApplyAliasActionsAsync([Create("prod", "blue"), Create("live", "blue")], CancellationToken.None);

        var refused = await Assert.ThrowsAsync<RetrievalException>(() => harness.Engine.DeleteCollectionAsync("blue", CancellationToken.None));
        Assert.Equal(ErrorKind.FailedPrecondition, refused.Kind);
        Assert.Contains("'live', 'prod'", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, harness.Engine.Count("blue", null));

        await harness.Engine.ApplyAliasActionsAsync([Delete("prod"), Delete("live")], CancellationToken.None);
        await harness.Engine.DeleteCollectionAsync("blue", CancellationToken.None);
        Assert.Empty(harness.Engine.ListCollections());
    }

    [Fact]
    public async Task Switch_WhileSearching_EverySearchSeesOldOrNewCollection()
    {
        await using var harness = await StartAsync();
        await CreateAsync(harness, "blue", "b", 200);
        await CreateAsync(harness, "green", "g", 200);
        await harness.Engine.ApplyAliasActionsAsync([Create("prod", "blue")], CancellationToken.None);

        using var stop = new CancellationTokenSource();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<char, int>();
        var searchers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var searches = 0;
            while (!stop.IsCancellationRequested || searches < 50)
            {
                var hits = harness.Engine.Search("prod", new SearchQuery("v", [1f, 0.5f], 10));
                var prefixes = hits.Select(h => h.Id[0]).Distinct().ToList();
                // One collection answers each search: never a mix, never an error.
                Assert.Single(prefixes);
                Assert.Equal(10, hits.Count);
                seen.AddOrUpdate(prefixes[0], 1, (_, n) => n + 1);
                searches++;
            }
        })).ToList();

        for (var i = 0; i < 20; i++)
        {
            await harness.Engine.ApplyAliasActionsAsync([Switch("prod", i % 2 == 0 ? "green" : "blue")], CancellationToken.None);
        }

        await stop.CancelAsync();
        await Task.WhenAll(searchers);
        Assert.True(seen.Keys.All(k => k is 'b' or 'g'));
        Assert.Equal("blue", harness.Engine.ListAliases().Single().Collection);
    }

    private static async Task AssertRefusedAsync(EngineHarness harness, IReadOnlyList<AliasAction> actions, ErrorKind kind, string message)
    {
        var before = harness.Engine.ListAliases();
        var error = await Assert.ThrowsAsync<RetrievalException>(() => harness.Engine.ApplyAliasActionsAsync(actions, CancellationToken.None));
        Assert.Equal(kind, error.Kind);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, harness.Engine.ListAliases());
    }

    private static async Task CreateAsync(EngineHarness harness, string name, string prefix, int count)
    {
        await harness.Engine.CreateCollectionAsync(name, [Space("v", 2)], null, CancellationToken.None);
        var random = new Random(count);
        await harness.Engine.UpsertAsync(name, [.. Enumerable.Range(0, count).Select(i => Item($"{prefix}{i}", "v", [(float)random.NextDouble(), (float)random.NextDouble()]))], CancellationToken.None);
    }
}
