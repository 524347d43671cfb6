using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Retrieval.OperatorConsole.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Retrieval.OperatorConsole.Tests;

/// <summary>
/// An operator's model upgrade done in the console alone: create a collection, ingest from a file, index it and watch
/// the build, add the new model's space, fit maps, run the migration to cut-over, and search; at each step what the
/// page shows is checked against the REST API. Screenshots go to artifacts/console-screenshots/.
/// </summary>
[Collection(SharedConsole.Name)]
public sealed class ModelUpgradeWalkthroughTests(ConsoleFixture fixture) : IDisposable
{
    private const string Collection = "docs";

    /// <summary>Items spread over two shards: the index status is shown per shard, and the upgrade runs across both.</summary>
    private const int Shards = 2;
    private readonly UpgradeData _data = new();
    private readonly string _files = Directory.CreateTempSubdirectory("console-upgrade-").FullName;

    [Fact]
    public async Task ModelUpgrade_ThroughTheConsoleAlone_CutsOverAndSearchesLikeTheApi()
    {
        await using var console = await fixture.OpenAsync("#/collections");
        await CreateCollectionAndIngestAsync(console);
        await SetIndexAndWatchTheBuildAsync(console);
        await AddTheNewSpaceWithAnchorsAsync(console);
        await FitMapsAsync(console);
        await RunTheMigrationToCutoverAsync(console);
        await SearchAsync(console);
        await console.ExpectNoErrorsAsync();
    }

    private async Task CreateCollectionAndIngestAsync(ConsolePage console)
    {
        var form = console.TestId("create-collection");
        await form.Locator("[name=collection]").FillAsync(Collection);
        await form.Locator("[name=shards]").FillAsync(Shards.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await form.Locator("[name=s_name]").FillAsync("v1");
        await form.Locator("[name=s_dimension]").FillAsync(UpgradeData.Dimension.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await form.Locator("[name=s_model]").FillAsync("model-a");
        await form.Locator("[name=s_modelVersion]").FillAsync("1");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create collection" }).ClickAsync();
        await Expect(console.Page.Locator("h1")).ToHaveTextAsync($"Collection {Collection}");

        await UpsertFileAsync(console, "items-v1.json", _data.OldItemsJson(), UpgradeData.Items);
        var count = await fixture.Server.PostAsync($"/v1/collections/{Collection}/items:count", new JsonObject());
        Assert.Equal(UpgradeData.Items, count["count"]!.GetValue<long>());
        await Expect(console.TestId("item-count")).ToHaveTextAsync(RestApi.Count(UpgradeData.Items));
        await Expect(console.TestId("shards")).ToHaveTextAsync(Shards.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(console.TestId("payload-sample")).ToContainTextAsync("\"lang\":\"de\"");
    }

    private async Task UpsertFileAsync(ConsolePage console, string name, string json, int items)
    {
        var path = Path.Combine(_files, name);
        await File.WriteAllTextAsync(path, json);
        await console.TestId("items-file").SetInputFilesAsync(path);
        await Expect(console.TestId("items-json")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^\\{\"items\""));
        await console.Page.GetByRole(AriaRole.Button, new() { Name = "Upsert items" }).ClickAsync();
        await Expect(console.TestId("ingest-result")).ToHaveTextAsync($"{RestApi.Count(items)} of {RestApi.Count(items)} upserted");
    }

    private async Task SetIndexAndWatchTheBuildAsync(ConsolePage console)
    {
        var form = console.TestId("set-index");
        await form.Locator("[name=space]").SelectOptionAsync("v1");
        await form.Locator("[name=spec]").FillAsync("HNSW16");
        await form.GetByRole(AriaRole.Button, new() { Name = "Set index" }).ClickAsync();
        var status = console.Page.Locator("[data-testid=index-statuses] [data-space=v1]");
        await Expect(status).ToContainTextAsync("HNSW16");
        await console.ScreenshotAsync("01-collection-index-set");

        // The build runs in the background: wait until the API reports it done, then the page must show the same split.
        JsonNode api = await fixture.Server.GetAsync($"/v1/collections/{Collection}/spaces/v1/index");
        for (var waited = 0; api["build"] is not null || (api["indexedVectors"]?.GetValue<long>() ?? 0) == 0; waited++)
        {
            Assert.True(waited < 600, $"the index build did not finish: {api.ToJsonString()}");
            await Task.Delay(100);
            api = await fixture.Server.GetAsync($"/v1/collections/{Collection}/spaces/v1/index");
        }

        var indexed = api["indexedVectors"]!.GetValue<long>();
        var appendable = api["appendableVectors"]?.GetValue<long>() ?? 0;
        Assert.Equal(UpgradeData.Items, indexed + appendable);
        await Expect(status.GetByTestId("indexed-vectors")).ToHaveTextAsync(RestApi.Count(indexed));
        await Expect(status.GetByTestId("appendable-vectors")).ToHaveTextAsync(RestApi.Count(appendable));
        foreach (var shard in api["shards"]!.AsArray())
        {
            var number = shard!["shard"]?.GetValue<int>() ?? 0;
            await Expect(status.Locator($"[data-shard='{number}']").GetByTestId("shard-indexed"))
                .ToHaveTextAsync(RestApi.Count(shard["indexedVectors"]?.GetValue<long>() ?? 0));
        }

        Assert.Equal(Shards, api["shards"]!.AsArray().Count);
        await console.ScreenshotAsync("02-collection-indexed");

        // The collections page shows the same, next to the collection's item count.
        await console.GoAsync("#/collections");
        var row = console.Page.Locator($"[data-testid=collections] tr[data-collection={Collection}]");
        await Expect(row.GetByTestId("items")).ToHaveTextAsync(RestApi.Count(UpgradeData.Items));
        await Expect(row.GetByTestId("indexed-vectors")).ToHaveTextAsync(RestApi.Count(indexed));
        await console.ScreenshotAsync("02b-collections");
        await console.GoAsync($"#/collections/{Collection}");
    }

    private async Task AddTheNewSpaceWithAnchorsAsync(ConsolePage console)
    {
        var form = console.TestId("add-space");
        await form.Locator("[name=a_name]").FillAsync("v2");
        await form.Locator("[name=a_dimension]").FillAsync(UpgradeData.Dimension.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await form.Locator("[name=a_model]").FillAsync("model-b");
        await form.Locator("[name=a_modelVersion]").FillAsync("1");
        await form.GetByRole(AriaRole.Button, new() { Name = "Add space" }).ClickAsync();
        await Expect(console.TestId("spaces")).ToContainTextAsync("model-b");

        await UpsertFileAsync(console, "anchors-v2.json", _data.AnchorItemsJson(), UpgradeData.Anchors);
        var collection = await fixture.Server.GetAsync($"/v1/collections/{Collection}");
        Assert.Equal(2, collection["spaces"]!.AsArray().Count);
    }

    private async Task FitMapsAsync(ConsolePage console)
    {
        // Three fits of the same pair with different anchor counts: the maps page then plots recall against anchors.
        foreach (var maxAnchors in new[] { "16", "40", "0" })
        {
            await console.GoAsync($"#/maps?collection={Collection}");
            var form = console.TestId("fit-map");
            await form.Locator("[name=fromSpace]").SelectOptionAsync("v2");
            await form.Locator("[name=toSpace]").SelectOptionAsync("v1");
            await form.Locator("[name=kind]").SelectOptionAsync("MAP_KIND_ORTHOGONAL");
            await form.Locator("[name=maxAnchors]").FillAsync(maxAnchors);
            await form.Locator("[name=evaluation]").FillAsync(_data.EvaluationJson());
            await form.GetByRole(AriaRole.Button, new() { Name = "Fit map" }).ClickAsync();
            await Expect(console.Page.Locator("h1")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^Map map-"));
        }

        var mapId = console.Page.Url.Split('/')[^1];
        var map = await fixture.Server.GetAsync($"/v1/collections/{Collection}/maps/{mapId}");
        var report = map["report"]!;
        await Expect(console.TestId("recall-at-10")).ToHaveTextAsync(RestApi.Percent(report["identificationRecallAt10"]!.GetValue<double>()));
        await Expect(console.TestId("anchors")).ToHaveTextAsync($"{RestApi.Count(report["fitAnchors"]!.GetValue<int>())} / {RestApi.Count(report["heldOutAnchors"]!.GetValue<int>())}");
        await Expect(console.TestId("gate")).ToHaveTextAsync(GateText(report));
        await Expect(console.TestId("gate-reason")).ToHaveTextAsync(report["gateReason"]!.GetValue<string>());
        await Expect(console.TestId("evaluation-plot").Locator("canvas")).ToBeVisibleAsync();
        var evaluation = report["evaluation"]!;
        await ExpectScoresAsync(console, evaluation, "oldToOld");
        await ExpectScoresAsync(console, evaluation, "newToOldMapped");
        // Only the anchors hold a v2 vector: the API gives no new→new, and the page says why.
        Assert.Null(evaluation["newToNew"]);
        await Expect(console.TestId("new-to-new-absent")).ToBeVisibleAsync();
        await Expect(console.TestId("score-newToNew-recallAt10")).ToHaveCountAsync(0);
        await console.ScreenshotAsync("03-map-report");

        await console.GoAsync($"#/maps?collection={Collection}");
        await Expect(console.TestId("maps").Locator("tbody tr")).ToHaveCountAsync(3);
        await Expect(console.TestId("anchors-plot").Locator("canvas")).ToBeVisibleAsync();
        await console.ScreenshotAsync("04-maps");
    }

    private async Task RunTheMigrationToCutoverAsync(ConsolePage console)
    {
        await console.GoAsync($"#/migrations?collection={Collection}");
        var plan = console.TestId("plan-migration");
        await plan.Locator("[name=id]").FillAsync("upgrade");
        await plan.Locator("[name=fromSpace]").SelectOptionAsync("v1");
        await plan.Locator("[name=toSpace]").SelectOptionAsync("v2");
        await plan.GetByRole(AriaRole.Button, new() { Name = "Plan migration" }).ClickAsync();
        await Expect(console.TestId("phase")).ToHaveTextAsync("planned");

        await ActAsync(console, "fit", "fitted");
        var gateFailed = await EvaluateAsync(console);
        // Past a failed gate the confirmation warns, with the gate's sentence, and activation forces.
        await console.TestId("action-activate").ClickAsync();
        await Expect(console.TestId("confirm-warning")).ToHaveCountAsync(gateFailed ? 1 : 0);
        await console.ConfirmAsync();
        await Expect(console.TestId("phase")).ToHaveTextAsync("active");
        var missing = UpgradeData.Items - UpgradeData.Anchors;
        await Expect(console.TestId("missing-items")).ToHaveTextAsync(RestApi.Count(missing));
        await Expect(console.TestId("action-cutover")).ToBeDisabledAsync();
        await Expect(console.TestId("cutover-blocked")).ToContainTextAsync($"{RestApi.Count(missing)} items lack a v2 vector");
        await ActAsync(console, "backfill", "backfilling");
        await ActAsync(console, "pause", "paused");
        await Expect(console.TestId("action-pause")).ToBeDisabledAsync();
        await ActAsync(console, "resume", "backfilling");

        // Clients keep searching the new space meanwhile (mixed search): the page plots the native share rising.
        await SearchTrafficAsync(TimeSpan.FromSeconds(3));
        var half = UpgradeData.Anchors + (missing / 2);
        await BackfillFileAsync(console, "backfill-1.json", _data.BackfillJson(UpgradeData.Anchors, half), half - UpgradeData.Anchors);
        await Expect(console.TestId("native-items")).ToHaveTextAsync(RestApi.Count(half));
        await SearchTrafficAsync(TimeSpan.FromSeconds(3));
        await Expect(console.TestId("calibration-plot").Locator("canvas")).ToBeVisibleAsync();
        // The share plot reads the mixed-search counters of /metrics: the searches above must have given it points.
        var sharePoints = await console.TestId("share-plot").Locator("canvas").EvaluateAsync<int>("canvas => Chart.getChart(canvas).data.datasets[0].data.length");
        Assert.True(sharePoints > 0, "the mixed-search share plot has no points");
        await console.ScreenshotAsync("05-migration-backfilling");
        await MigrationMapReportAsync(console);
        await MixedSearchAsync(console, half);
        await console.GoAsync($"#/migrations/{Collection}/upgrade");

        await BackfillFileAsync(console, "backfill-2.json", _data.BackfillJson(half, UpgradeData.Items), UpgradeData.Items - half);
        await Expect(console.TestId("missing-items")).ToHaveTextAsync("0");
        await Expect(console.TestId("fraction")).ToHaveTextAsync("100.0%");
        await Expect(console.TestId("action-cutover")).ToBeEnabledAsync();
        await FullyEmbeddedMapReportAsync(console);
        await console.GoAsync($"#/migrations/{Collection}/upgrade");
        await Expect(console.TestId("action-cutover")).ToBeEnabledAsync();
        await ActAsync(console, "cutover", "cut over");

        var migration = await fixture.Server.GetAsync($"/v1/collections/{Collection}/migrations/upgrade");
        Assert.Equal("MIGRATION_PHASE_CUT_OVER", migration["phase"]!.GetValue<string>());
        Assert.Equal("console", migration["changedBy"]!.GetValue<string>());
        var collection = await fixture.Server.GetAsync($"/v1/collections/{Collection}");
        Assert.Equal("v2", collection["defaultSpace"]!.GetValue<string>());
        await Expect(console.TestId("events")).ToContainTextAsync("cut over");
        await console.ScreenshotAsync("07-migration-cut-over");

        // Retire deletes the old space: the confirmation asks for the migration's id.
        await console.TestId("action-retire").ClickAsync();
        await Expect(console.TestId("confirm-ok")).ToBeDisabledAsync();
        await console.ConfirmAsync("upgrade");
        await Expect(console.TestId("phase")).ToHaveTextAsync("retired");
        collection = await fixture.Server.GetAsync($"/v1/collections/{Collection}");
        Assert.Equal(["v2"], collection["spaces"]!.AsArray().Select(space => space!["name"]!.GetValue<string>()));
    }

    private static async Task ActAsync(ConsolePage console, string verb, string phase)
    {
        await console.TestId($"action-{verb}").ClickAsync();
        await console.ConfirmAsync();
        await Expect(console.TestId("phase")).ToHaveTextAsync(phase);
    }

    private static string GateText(JsonNode report) => report["gate"]!.GetValue<string>() switch
    {
        "GATE_OUTCOME_PASSED" => "passed",
        "GATE_OUTCOME_FAILED" => "failed",
        _ => "not evaluated",
    };

    /// <summary>Evaluates the migration's map on a file of queries; the console shows the gate the API reports.</summary>
    private async Task<bool> EvaluateAsync(ConsolePage console)
    {
        var path = Path.Combine(_files, "evaluation.json");
        await File.WriteAllTextAsync(path, _data.EvaluationJson());
        await console.TestId("evaluation-file").SetInputFilesAsync(path);
        await Expect(console.TestId("evaluation-json")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^\\{\"queries\""));
        await console.TestId("evaluate").GetByRole(AriaRole.Button, new() { Name = "Evaluate" }).ClickAsync();
        await console.ConfirmAsync();
        await Expect(console.TestId("phase")).ToHaveTextAsync("evaluated");

        var evaluation = (await fixture.Server.GetAsync($"/v1/collections/{Collection}/migrations/upgrade"))["evaluation"]!;
        await Expect(console.TestId("gate")).ToHaveTextAsync(GateText(evaluation));
        await Expect(console.TestId("gate-reason")).ToHaveTextAsync(evaluation["gateReason"]!.GetValue<string>());
        return evaluation["gate"]!.GetValue<string>() == "GATE_OUTCOME_FAILED";
    }

    /// <summary>
    /// Once every item holds its v2 vector, a fit's report has new→new: the plot shows mapped recall against old→old and
    /// new→new, and the figures under it are the API's.
    /// </summary>
    private async Task FullyEmbeddedMapReportAsync(ConsolePage console)
    {
        await console.GoAsync($"#/maps?collection={Collection}");
        var form = console.TestId("fit-map");
        await form.Locator("[name=fromSpace]").SelectOptionAsync("v2");
        await form.Locator("[name=toSpace]").SelectOptionAsync("v1");
        await form.Locator("[name=kind]").SelectOptionAsync("MAP_KIND_ORTHOGONAL");
        await form.Locator("[name=evaluation]").FillAsync(_data.EvaluationJson());
        await form.GetByRole(AriaRole.Button, new() { Name = "Fit map" }).ClickAsync();
        await Expect(console.Page.Locator("h1")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^Map map-"));

        var mapId = console.Page.Url.Split('/')[^1];
        var evaluation = (await fixture.Server.GetAsync($"/v1/collections/{Collection}/maps/{mapId}"))["report"]!["evaluation"]!;
        Assert.NotNull(evaluation["newToNew"]);
        await ExpectScoresAsync(console, evaluation, "oldToOld");
        await ExpectScoresAsync(console, evaluation, "newToOldMapped");
        await ExpectScoresAsync(console, evaluation, "newToNew");
        await Expect(console.TestId("new-to-new-absent")).ToHaveCountAsync(0);
        var canvas = console.TestId("evaluation-plot").Locator("canvas");
        await Expect(canvas).ToBeVisibleAsync();
        var plotted = await canvas.EvaluateAsync<double[]>("canvas => Chart.getChart(canvas).data.datasets.find(d => d.label.startsWith('new → new')).data");
        Assert.Equal(new[] { "recallAt1", "recallAt10", "mapAt10" }.Select(m => evaluation["newToNew"]![m]?.GetValue<double>() ?? 0), plotted);
        await console.ScreenshotAsync("06b-map-report-new-to-new");
    }

    /// <summary>The score cells of one setting (recall@1, recall@10, mAP@10) read as the API's figures; proto JSON omits zeros.</summary>
    private static async Task ExpectScoresAsync(ConsolePage console, JsonNode evaluation, string setting)
    {
        foreach (var metric in new[] { "recallAt1", "recallAt10", "mapAt10" })
        {
            var value = evaluation[setting]![metric]?.GetValue<double>() ?? 0;
            await Expect(console.TestId($"score-{setting}-{metric}")).ToHaveTextAsync(RestApi.Percent(value));
        }
    }

    /// <summary>The report of the migration's map: its evaluation and the score calibration drawn from live searches.</summary>
    private async Task MigrationMapReportAsync(ConsolePage console)
    {
        var migration = await fixture.Server.GetAsync($"/v1/collections/{Collection}/migrations/upgrade");
        var mapId = migration["mapId"]!.GetValue<string>();
        await console.GoAsync($"#/maps/{Collection}/{mapId}");
        await Expect(console.TestId("map-state")).ToHaveTextAsync("active");
        await Expect(console.TestId("evaluation-plot").Locator("canvas")).ToBeVisibleAsync();
        var pairs = migration["calibration"]!["pairs"]!.GetValue<int>();
        await Expect(console.TestId("calibration")).ToContainTextAsync($"over {RestApi.Count(pairs)} pairs");
        await Expect(console.TestId("calibration-plot").Locator("canvas")).ToBeVisibleAsync();
        await console.ScreenshotAsync("05b-migration-map-report");
    }

    private async Task BackfillFileAsync(ConsolePage console, string name, string json, int vectors)
    {
        var path = Path.Combine(_files, name);
        await File.WriteAllTextAsync(path, json);
        await console.TestId("backfill-file").SetInputFilesAsync(path);
        await console.Page.GetByRole(AriaRole.Button, new() { Name = "Send vectors" }).ClickAsync();
        await Expect(console.TestId("backfill-result")).ToHaveTextAsync($"{RestApi.Count(vectors)} of {RestApi.Count(vectors)} accepted");
    }

    /// <summary>Searches of the new space by a client (not the console), so mixed search has hits to count.</summary>
    private async Task SearchTrafficAsync(TimeSpan duration)
    {
        var until = DateTime.UtcNow + duration;
        for (var i = 0; DateTime.UtcNow < until; i++)
        {
            var query = new JsonObject
            {
                ["space"] = "v2",
                ["k"] = 10,
                ["vector"] = new JsonObject { ["values"] = new JsonArray(_data.NewVector(i % UpgradeData.Items).Select(v => (JsonNode)v).ToArray()) },
            };
            await fixture.Server.PostAsync($"/v1/collections/{Collection}:search", query);
            await Task.Delay(50);
        }
    }

    private async Task SearchAsync(ConsolePage console)
    {
        await console.GoAsync($"#/search?collection={Collection}");
        await Expect(console.TestId("search-space")).ToHaveValueAsync("v2");
        var form = console.TestId("search-form");
        await form.Locator("[name=itemId]").FillAsync(UpgradeData.Id(7));
        await form.GetByRole(AriaRole.Button, new() { Name = "Use this item's vector" }).ClickAsync();
        await Expect(console.TestId("query-vector")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^\\["));
        await form.GetByRole(AriaRole.Button, new() { Name = "Add condition" }).ClickAsync();
        await form.Locator(".condition [name=key]").FillAsync("lang");
        await form.Locator(".condition [name=value]").FillAsync("en");
        await form.GetByRole(AriaRole.Button, new() { Name = "Add condition" }).ClickAsync();
        var range = form.Locator(".condition").Nth(1);
        await range.Locator("[name=key]").FillAsync("n");
        await range.Locator("[name=op]").SelectOptionAsync("range");
        await range.Locator("[name=value]").FillAsync("gte 0 lt 200");
        await form.Locator("[name=k]").FillAsync("5");
        await form.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(console.TestId("hit-id")).ToHaveCountAsync(5);
        await Expect(console.TestId("latency")).ToContainTextAsync(" ms");

        var query = new JsonObject
        {
            ["space"] = "v2",
            ["k"] = 5,
            ["vector"] = new JsonObject { ["values"] = new JsonArray(await StoredV2Async(UpgradeData.Id(7))) },
            ["filter"] = new JsonObject
            {
                ["must"] = new JsonArray(
                    new JsonObject { ["key"] = "lang", ["match"] = new JsonObject { ["value"] = "en" } },
                    new JsonObject { ["key"] = "n", ["range"] = new JsonObject { ["gte"] = 0, ["lt"] = 200 } }),
            },
        };
        var api = await fixture.Server.PostAsync($"/v1/collections/{Collection}:search", query);
        var expected = api["hits"]!.AsArray().Select(hit => hit!["id"]!.GetValue<string>()).ToArray();
        Assert.Equal(expected, await console.TestId("hit-id").AllTextContentsAsync());
        Assert.Equal(UpgradeData.Id(7), expected[0]);
        await console.ScreenshotAsync("08-search");
    }

    /// <summary>
    /// Half backfilled: a search of the new space in the playground is mixed, each hit native or mapped, as the API says.
    /// </summary>
    private async Task MixedSearchAsync(ConsolePage console, int backfilled)
    {
        await console.GoAsync($"#/search?collection={Collection}");
        var form = console.TestId("search-form");
        await form.Locator("[name=space]").SelectOptionAsync("v2");
        await form.Locator("[name=itemId]").FillAsync(UpgradeData.Id(backfilled - 1));
        await form.GetByRole(AriaRole.Button, new() { Name = "Use this item's vector" }).ClickAsync();
        await Expect(console.TestId("query-vector")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^\\["));
        await form.Locator("[name=k]").FillAsync("20");
        await form.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(console.TestId("hit-id")).ToHaveCountAsync(20);

        var query = new JsonObject
        {
            ["space"] = "v2",
            ["k"] = 20,
            ["vector"] = new JsonObject { ["values"] = new JsonArray(await StoredV2Async(UpgradeData.Id(backfilled - 1))) },
        };
        var api = await fixture.Server.PostAsync($"/v1/collections/{Collection}:search", query);
        var expected = api["hits"]!.AsArray().Select(hit => $"{hit!["id"]} {hit["path"]}").ToArray();
        var shown = await console.Page.Locator("[data-testid=hits] tbody tr").EvaluateAllAsync<string[]>(
            "rows => rows.map(r => r.querySelector('[data-testid=hit-id]').textContent + ' ' + r.cells[3].textContent)");
        Assert.Equal(expected, shown);
        Assert.Contains(shown, line => line.EndsWith(" mapped", StringComparison.Ordinal));
        Assert.Contains(shown, line => line.EndsWith(" native", StringComparison.Ordinal));
        await console.ScreenshotAsync("06-search-mixed");
    }

    private async Task<JsonNode[]> StoredV2Async(string id)
    {
        var items = await fixture.Server.PostAsync($"/v1/collections/{Collection}/items:get", new JsonObject { ["ids"] = new JsonArray(id), ["withVectors"] = true });
        return items["items"]![0]!["vectors"]!["v2"]!["values"]!.AsArray().Select(v => JsonValue.Create(v!.GetValue<float>())!).Cast<JsonNode>().ToArray();
    }

    public void Dispose() => Directory.Delete(_files, recursive: true);
}
