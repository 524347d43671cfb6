using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Retrieval.OperatorConsole.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Retrieval.OperatorConsole.Tests;

/// <summary>The console's shell: where it is served, the overview, the API explorer, errors, sign-in and deletion.</summary>
[Collection(SharedConsole.Name)]
public sealed class ConsoleShellTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task Root_RedirectsToTheConsole_WhoseOverviewMatchesTheApi()
    {
        await fixture.Server.PostAsync("/v1/collections", Collection("shell-overview"));
        await using var console = await fixture.OpenAsync();
        await console.Page.GotoAsync(fixture.Server.Configuration.RestAddress.ToString());
        Assert.Equal(fixture.ConsoleUrl, console.Page.Url);

        var server = await fixture.Server.GetAsync("/v1/server");
        var collections = (await fixture.Server.GetAsync("/v1/collections"))["collections"]!.AsArray();
        await Expect(console.TestId("ready")).ToHaveTextAsync("ready");
        var version = server["version"]!.GetValue<string>();
        await Expect(console.TestId("version")).ToHaveAttributeAsync("title", version);
        await Expect(console.TestId("version")).ToHaveTextAsync(version.Split('+')[0]);
        await Expect(console.TestId("store")).ToHaveTextAsync("sqlite");
        await Expect(console.TestId("execution-provider")).ToHaveTextAsync(server["executionProvider"]!.GetValue<string>());
        await Expect(console.TestId("collection-count")).ToHaveTextAsync(RestApi.Count(collections.Count));
        await console.ScreenshotAsync("00-overview");
        await console.ExpectNoErrorsAsync();
    }

    [Fact]
    public async Task Docs_ServesTheApiExplorerFromTheOpenApiDocument()
    {
        await using var console = await fixture.OpenAsync();
        await console.Page.GotoAsync(new Uri(fixture.Server.Configuration.RestAddress, "/docs/").ToString());
        await Expect(console.Page.GetByText("/v1/collections/{collection}:search").First).ToBeVisibleAsync();
        await console.ScreenshotAsync("09-api-explorer", fullPage: false);
        console.ExpectOnlyServerRequests();
    }

    [Fact]
    public async Task CreateCollection_RefusedByTheServer_ShowsTheServerMessage()
    {
        await fixture.Server.PostAsync("/v1/collections", Collection("shell-taken"));
        await using var console = await fixture.OpenAsync("#/collections");
        var form = console.TestId("create-collection");
        await form.Locator("[name=collection]").FillAsync("shell-taken");
        await form.Locator("[name=s_name]").FillAsync("v1");
        await form.Locator("[name=s_dimension]").FillAsync("4");
        await form.Locator("[name=s_model]").FillAsync("m");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create collection" }).ClickAsync();
        await Expect(console.TestId("error")).ToContainTextAsync("409");
        await Expect(console.TestId("error")).ToContainTextAsync("shell-taken");
        console.ForgetErrors();
        await console.Page.Locator("[data-testid=error] button").ClickAsync();
        await console.ExpectNoErrorsAsync();
    }

    [Fact]
    public async Task SignIn_SendsTheKeyAsBearerToken_AndSignOutStops()
    {
        await using var console = await fixture.OpenAsync();
        await console.Page.Locator("#signin [name=key]").FillAsync("test-key-1");
        var signedIn = await console.Page.RunAndWaitForRequestAsync(
            () => console.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
            request => request.Url.Contains("/v1/server", StringComparison.Ordinal));
        Assert.Equal("Bearer test-key-1", (await signedIn.AllHeadersAsync())["authorization"]);
        Assert.Equal("test-key-1", await console.Page.EvaluateAsync<string>("sessionStorage.getItem('retrieval.apiKey')"));

        var signedOut = await console.Page.RunAndWaitForRequestAsync(
            () => console.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync(),
            request => request.Url.Contains("/v1/server", StringComparison.Ordinal));
        Assert.False((await signedOut.AllHeadersAsync()).ContainsKey("authorization"));
        await console.ExpectNoErrorsAsync();
    }

    [Fact]
    public async Task DeleteCollection_AsksForTheTypedName_ThenDeletes()
    {
        await fixture.Server.PostAsync("/v1/collections", Collection("shell-doomed"));
        await using var console = await fixture.OpenAsync("#/collections/shell-doomed");
        await console.TestId("delete-collection").ClickAsync();
        await Expect(console.TestId("confirm-ok")).ToBeDisabledAsync();
        await console.TestId("confirm-input").FillAsync("shell-doome");
        await Expect(console.TestId("confirm-ok")).ToBeDisabledAsync();
        await console.ConfirmAsync("shell-doomed");
        await Expect(console.Page.Locator("h1")).ToHaveTextAsync("Collections");

        using var response = await fixture.Server.Rest.GetAsync(new Uri("/v1/collections/shell-doomed", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        await console.ExpectNoErrorsAsync();
    }

    private static JsonObject Collection(string name) => new()
    {
        ["name"] = name,
        ["spaces"] = new JsonArray(new JsonObject
        {
            ["name"] = "v1", ["dimension"] = 4, ["metric"] = "METRIC_COSINE", ["model"] = new JsonObject { ["name"] = "m" },
        }),
    };
}
