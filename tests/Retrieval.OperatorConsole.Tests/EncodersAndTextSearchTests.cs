using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Retrieval.OperatorConsole.Tests.Infrastructure;
using Retrieval.Testing.Onnx;
using static Microsoft.Playwright.Assertions;

namespace Retrieval.OperatorConsole.Tests;

/// <summary>
/// The encoders page and raw-text search: upload a small ONNX text model, bind a space to it, ingest texts, search by
/// text in the playground, and delete the encoder (refused while a space pins it, with the server's reason shown).
/// </summary>
[Collection(SharedConsole.Name)]
public sealed class EncodersAndTextSearchTests(ConsoleFixture fixture) : IDisposable
{
    private const string Encoder = "tiny-text";
    private const string Collection = "texts";
    private static readonly string[] Texts = ["the cat sat on the mat", "a dog run over the house", "the bird flew", "red car fast", "blue car"];
    private readonly string _files = Directory.CreateTempSubdirectory("console-encoders-").FullName;

    [Fact]
    public async Task Encoder_UploadedAndSearchedByText_ThenDeleted()
    {
        await using var console = await fixture.OpenAsync("#/encoders");
        await UploadAsync(console);
        await CreateTextCollectionAsync(console);
        await SearchByTextAsync(console);
        await DeleteAsync(console);
    }

    private async Task UploadAsync(ConsolePage console)
    {
        var model = Path.Combine(_files, "model.onnx");
        var vocabulary = Path.Combine(_files, "vocab.txt");
        await File.WriteAllBytesAsync(model, new TinyTextModel(seed: 5).Model());
        await File.WriteAllBytesAsync(vocabulary, TinyTextModel.VocabularyBytes);
        var descriptor = new JsonObject
        {
            ["name"] = Encoder, ["version"] = "1", ["dimension"] = TinyTextModel.Dim, ["metric"] = "METRIC_COSINE",
            ["inputKind"] = "INPUT_KIND_TEXT", ["outputName"] = "last_hidden_state", ["pooling"] = "POOLING_MEAN", ["normalize"] = true,
            ["maxSequenceLength"] = 16,
        };
        var form = console.TestId("upload-encoder");
        await console.TestId("encoder-descriptor").FillAsync(descriptor.ToJsonString());
        await form.Locator("[name=model]").SetInputFilesAsync(model);
        await form.Locator("[name=vocabulary]").SetInputFilesAsync(vocabulary);
        await form.GetByRole(AriaRole.Button, new() { Name = "Upload encoder" }).ClickAsync();
        await Expect(console.TestId("encoders")).ToContainTextAsync(Encoder);

        var listed = (await fixture.Server.GetAsync("/v1/encoders"))["encoders"]!.AsArray();
        Assert.Contains(listed, e => e!["descriptor"]!["name"]!.GetValue<string>() == Encoder);
        await console.ScreenshotAsync("10-encoders");
    }

    private static async Task CreateTextCollectionAsync(ConsolePage console)
    {
        await console.GoAsync("#/collections");
        var form = console.TestId("create-collection");
        await form.Locator("[name=collection]").FillAsync(Collection);
        await form.Locator("[name=s_name]").FillAsync("text");
        await form.Locator("[name=s_dimension]").FillAsync(TinyTextModel.Dim.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await form.Locator("[name=s_model]").FillAsync(Encoder);
        await form.Locator("[name=s_encoder]").FillAsync(Encoder);
        await form.GetByRole(AriaRole.Button, new() { Name = "Create collection" }).ClickAsync();
        await Expect(console.Page.Locator("h1")).ToHaveTextAsync($"Collection {Collection}");

        var items = new JsonArray(Texts.Select((text, i) => (JsonNode)new JsonObject
        {
            ["id"] = $"t{i}",
            ["payload"] = new JsonObject { ["text"] = text },
            ["inputs"] = new JsonObject { ["text"] = new JsonObject { ["text"] = text } },
        }).ToArray());
        await console.TestId("items-json").FillAsync(new JsonObject { ["items"] = items }.ToJsonString());
        await console.Page.GetByRole(AriaRole.Button, new() { Name = "Upsert items" }).ClickAsync();
        await Expect(console.TestId("ingest-result")).ToHaveTextAsync($"{Texts.Length} of {Texts.Length} upserted");
    }

    private async Task SearchByTextAsync(ConsolePage console)
    {
        await console.GoAsync($"#/search?collection={Collection}");
        var form = console.TestId("search-form");
        await form.Locator("[name=mode]").SelectOptionAsync("text");
        await form.Locator("[name=text]").FillAsync("cat on a mat");
        await form.Locator("[name=k]").FillAsync("3");
        await form.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(console.TestId("hit-id")).ToHaveCountAsync(3);

        var api = await fixture.Server.PostAsync($"/v1/collections/{Collection}:search",
            new JsonObject { ["input"] = new JsonObject { ["text"] = "cat on a mat" }, ["k"] = 3 });
        var expected = api["hits"]!.AsArray().Select(hit => hit!["id"]!.GetValue<string>()).ToArray();
        Assert.Equal(expected, await console.TestId("hit-id").AllTextContentsAsync());
        await console.ScreenshotAsync("11-search-text");
    }

    private async Task DeleteAsync(ConsolePage console)
    {
        await console.GoAsync("#/encoders");
        var row = console.TestId("encoders").Locator("tr", new() { HasText = Encoder });
        await row.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await console.ConfirmAsync();
        // The space pins the version: the server refuses, naming the space, and the console says so.
        await Expect(console.TestId("error")).ToContainTextAsync("text");
        await console.Page.Locator("[data-testid=error] button").ClickAsync();
        console.ForgetErrors();

        await console.GoAsync($"#/collections/{Collection}");
        await console.TestId("delete-collection").ClickAsync();
        await console.ConfirmAsync(Collection);
        await Expect(console.Page.Locator("h1")).ToHaveTextAsync("Collections");
        await console.GoAsync("#/encoders");
        await row.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await console.ConfirmAsync();
        await Expect(row).ToHaveCountAsync(0);
        var listed = (await fixture.Server.GetAsync("/v1/encoders"))["encoders"]?.AsArray() ?? [];
        Assert.DoesNotContain(listed, e => e!["descriptor"]!["name"]!.GetValue<string>() == Encoder);
        await console.ExpectNoErrorsAsync();
    }

    public void Dispose() => Directory.Delete(_files, recursive: true);
}
