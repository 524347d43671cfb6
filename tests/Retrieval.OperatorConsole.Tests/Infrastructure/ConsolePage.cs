using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Retrieval.OperatorConsole.Tests.Infrastructure;

/// <summary>One browser page on the console, with the steps the tests repeat and the page's script errors.</summary>
public sealed class ConsolePage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly List<string> _scriptErrors = [];

    public ConsolePage(IPage page, IBrowserContext context)
    {
        Page = page;
        _context = context;
        page.PageError += (_, error) => _scriptErrors.Add(error);
    }

    public IPage Page { get; }

    /// <summary>Uncaught script errors so far; a test ends by checking there were none.</summary>
    public IReadOnlyList<string> ScriptErrors => _scriptErrors;

    public ILocator TestId(string id) => Page.GetByTestId(id);

    public async Task GoAsync(string hash)
    {
        await Page.EvaluateAsync("hash => { location.hash = hash; }", hash);
        await Expect(Page.Locator("#page")).Not.ToContainTextAsync("Loading…");
    }

    /// <summary>Confirms the open dialog, typing the confirmation text first when it asks for one.</summary>
    public async Task ConfirmAsync(string? typed = null)
    {
        if (typed is not null)
        {
            await TestId("confirm-input").FillAsync(typed);
        }

        await TestId("confirm-ok").ClickAsync();
        await Expect(Page.Locator("dialog#confirm")).Not.ToBeVisibleAsync();
    }

    /// <summary>Fails with the page's error banner when the console shows an API error.</summary>
    public async Task ExpectNoErrorsAsync()
    {
        await Expect(TestId("error")).ToHaveCountAsync(0);
        Assert.Empty(_scriptErrors);
    }

    public async Task ScreenshotAsync(string name) =>
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshots.PathFor(name), FullPage = true });

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
