using Microsoft.Playwright;
using Retrieval.Testing.Server;

namespace Retrieval.OperatorConsole.Tests.Infrastructure;

/// <summary>
/// A real server (SQLite, in-process) and a headless Chromium, shared by the tests of a class. The server seals segments
/// at <see cref="SealThreshold"/> vectors so an index build is visible on a small collection.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const int SealThreshold = 100;

    /// <summary>Debian's chromium package (build.sh installs it); Playwright drives it instead of downloading a browser.</summary>
    private const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        // A container's small /dev/shm crashes renderers; temporary files work everywhere.
        "--disable-dev-shm-usage",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private ServerConfiguration? _configuration;

    public InProcessServer Server { get; private set; } = null!;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("browser not started");

    public string ConsoleUrl => new Uri(Server.Configuration.RestAddress, "/console/").ToString();

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new FileNotFoundException("Chromium is required for the console tests: apt-get install chromium (./build.sh test installs it)", ChromiumPath);
        }

        _configuration = new ServerConfiguration("sqlite", null);
        _configuration.Extra["Retrieval:Indexing:SealThreshold"] = SealThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _configuration.Extra["Retrieval:Indexing:OptimizerIntervalMs"] = "200";
        Server = await InProcessServer.StartAsync(_configuration);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArguments,
        });
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    /// <summary>A page in a fresh context (its own sessionStorage), failing the test on any uncaught script error.</summary>
    public async Task<ConsolePage> OpenAsync(string hash = "")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        var console = new ConsolePage(page, context, Server.Configuration.RestAddress);
        await page.GotoAsync(ConsoleUrl + hash);
        return console;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (_configuration is not null && Directory.Exists(_configuration.DataDirectory))
        {
            Directory.Delete(_configuration.DataDirectory, recursive: true);
        }
    }
}
