using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Retrieval.OperatorConsole.Tests.Infrastructure;

/// <summary>One browser page on the console, with the steps the tests repeat and the page's script errors.</summary>
public sealed class ConsolePage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly List<string> _scriptErrors = [];
    private readonly List<string> _shownErrors = [];
    private readonly List<string> _foreignRequests = [];

    public ConsolePage(IPage page, IBrowserContext context, Uri server)
    {
        Page = page;
        _context = context;
        // Nothing may come from anywhere but the server (no CDN): every request the page makes is checked.
        page.Request += (_, request) =>
        {
            var url = new Uri(request.Url);
            if (url.Scheme is not "data" && url.Authority != server.Authority)
            {
                _foreignRequests.Add(request.Url);
            }
        };
        page.PageError += (_, error) => _scriptErrors.Add(error);
        // The console logs every error it shows: a banner dismissed or cleared by a navigation before the test looks is
        // still counted. (The browser's own "Failed to load resource" lines are not: a failure the console reports is
        // logged by it too, and one it rightly drops, a request made obsolete by the operator's next step, is not one.)
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                _shownErrors.Add(message.Text);
            }
        };
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

    /// <summary>Fails when the console showed an error (API or script) since it opened or since <see cref="ForgetErrors"/>.</summary>
    public async Task ExpectNoErrorsAsync()
    {
        // The logged texts first: they say what went wrong, where the banner's count would not.
        Assert.True(_scriptErrors.Count == 0, "script errors: " + string.Join(Environment.NewLine, _scriptErrors));
        Assert.True(_shownErrors.Count == 0, "errors shown: " + string.Join(Environment.NewLine, _shownErrors));
        await Expect(TestId("error")).ToHaveCountAsync(0);
        ExpectOnlyServerRequests();
    }

    public void ExpectOnlyServerRequests() => Assert.Empty(_foreignRequests);

    /// <summary>After a test has checked an error it provoked.</summary>
    public void ForgetErrors() => _shownErrors.Clear();

    public async Task ScreenshotAsync(string name, bool fullPage = true) =>
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshots.PathFor(name), FullPage = fullPage });

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
