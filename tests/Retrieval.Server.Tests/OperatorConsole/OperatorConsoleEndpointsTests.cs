using System.Net;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.OperatorConsole;

/// <summary>Where the console and the API explorer are served (the pages themselves are tested in a browser).</summary>
public sealed class OperatorConsoleEndpointsTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    private InProcessServer Server => fixture.Server;

    [Theory]
    [InlineData("/")]
    [InlineData("/console")]
    public async Task Entry_Redirects_ToTheConsoleFolder(string path)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Server.Configuration.RestAddress };
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/console/", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("/console/", "text/html", "js/main.js")]
    [InlineData("/console/js/api.js", "text/javascript", "Bearer")]
    // Copied from npm by build.sh (OperatorConsole/install-vendor.sh): the build is incomplete without it.
    [InlineData("/console/vendor/chart.umd.min.js", "text/javascript", "Chart")]
    [InlineData("/docs/index.html", "text/html", "swagger")]
    public async Task Files_AreServed_WithTheirTypes(string path, string mediaType, string content)
    {
        using var response = await Server.Rest.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(content, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UnknownConsoleFile_IsNotFound()
    {
        using var response = await Server.Rest.GetAsync(new Uri("/console/js/missing.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
