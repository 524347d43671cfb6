using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Retrieval.OperatorConsole.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Retrieval.OperatorConsole.Tests;

/// <summary>Rolling a migration back from the console restores the collection as the API reports it.</summary>
[Collection(SharedConsole.Name)]
public sealed class MigrationRollbackTests(ConsoleFixture fixture)
{
    private const string Collection = "rollback";

    [Fact]
    public async Task Rollback_OfAnActiveMigration_EndsRolledBackWithTheOldDefaultSpace()
    {
        await SeedAsync();
        await using var console = await fixture.OpenAsync($"#/migrations?collection={Collection}");
        var plan = console.TestId("plan-migration");
        await plan.Locator("[name=id]").FillAsync("try");
        await plan.Locator("[name=toSpace]").SelectOptionAsync("v2");
        await plan.GetByRole(AriaRole.Button, new() { Name = "Plan migration" }).ClickAsync();
        await Expect(console.TestId("phase")).ToHaveTextAsync("planned");
        await Expect(console.TestId("action-cutover")).ToBeDisabledAsync();
        await Expect(console.TestId("action-retire")).ToBeDisabledAsync();

        await console.TestId("action-fit").ClickAsync();
        await console.ConfirmAsync();
        await Expect(console.TestId("phase")).ToHaveTextAsync("fitted");
        await console.TestId("action-activate").ClickAsync();
        await console.ConfirmAsync();
        await Expect(console.TestId("phase")).ToHaveTextAsync("active");

        // Cancelling a confirmation changes nothing.
        await console.TestId("action-rollback").ClickAsync();
        await console.TestId("confirm-cancel").ClickAsync();
        await Expect(console.TestId("phase")).ToHaveTextAsync("active");

        await console.TestId("action-rollback").ClickAsync();
        await console.ConfirmAsync();
        await Expect(console.TestId("phase")).ToHaveTextAsync("rolled back");
        await Expect(console.TestId("timeline")).ToContainTextAsync("rolled back");

        var migration = await fixture.Server.GetAsync($"/v1/collections/{Collection}/migrations/try");
        Assert.Equal("MIGRATION_PHASE_ROLLED_BACK", migration["phase"]!.GetValue<string>());
        var collection = await fixture.Server.GetAsync($"/v1/collections/{Collection}");
        Assert.Equal("v1", collection["defaultSpace"]!.GetValue<string>());
        await console.ExpectNoErrorsAsync();
    }

    /// <summary>Two 8-d spaces and 60 items holding both (the anchors), set up through the API.</summary>
    private async Task SeedAsync()
    {
        var data = new UpgradeData();
        JsonObject Space(string name) => new()
        {
            ["name"] = name, ["dimension"] = UpgradeData.Dimension, ["metric"] = "METRIC_COSINE", ["model"] = new JsonObject { ["name"] = name },
        };
        await fixture.Server.PostAsync("/v1/collections", new JsonObject { ["name"] = Collection, ["spaces"] = new JsonArray(Space("v1"), Space("v2")) });
        var old = JsonNode.Parse(data.OldItemsJson())!["items"]!.AsArray();
        var anchors = JsonNode.Parse(data.AnchorItemsJson())!["items"]!.AsArray();
        var items = new JsonArray(Enumerable.Range(0, 60).Select(i =>
        {
            var item = old[i]!.DeepClone();
            item["vectors"]!["v2"] = anchors[i]!["vectors"]!["v2"]!.DeepClone();
            return item;
        }).ToArray());
        await fixture.Server.PostAsync($"/v1/collections/{Collection}/items:upsert", new JsonObject { ["items"] = items });
    }
}
