using System.Text.RegularExpressions;
using Retrieval.Testing.Server;

namespace Retrieval.Cli.Tests;

/// <summary>
/// The key lifecycle from the CLI: the first admin key created offline into the store (<c>keys create --bootstrap</c>),
/// a server with authentication on started over that store, then create, list, rotate and revoke through it.
/// </summary>
public sealed partial class KeysCommandTests : IAsyncLifetime
{
    private readonly ServerConfiguration _configuration = new("sqlite", null);
    private InProcessServer? _server;
    private string _admin = "";

    private string Address => _configuration.GrpcAddress.ToString().TrimEnd('/');

    public async Task InitializeAsync()
    {
        var (code, output) = await CliHarness.RunAsync("keys", "create", "--bootstrap", "--scope", "admin", "--name", "root", "--data-dir", _configuration.DataDirectory);
        Assert.True(code == 0, output);
        _admin = Secret(output);
        _configuration.Extra["Retrieval:Auth:Mode"] = "enabled";
        _server = await InProcessServer.StartAsync(_configuration);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_configuration.DataDirectory, recursive: true);
    }

    [Fact]
    public async Task BootstrapKey_OpensTheServer_AndNoKeyIsRefused()
    {
        var (withKey, listed) = await CliHarness.RunAsync("collections", "list", "--server", Address, "--api-key", _admin);
        var (withoutKey, refused) = await CliHarness.RunAsync("collections", "list", "--server", Address);

        Assert.True(withKey == 0, listed);
        Assert.Equal(1, withoutKey);
        Assert.Contains("Unauthenticated", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysCommands_CreateListRotateRevoke()
    {
        var (created, output) = await CliHarness.RunAsync(
            "keys", "create", "--scope", "read", "--collections", "docs*,shop", "--expires", "90d", "--name", "ci", "--server", Address, "--api-key", _admin);
        Assert.True(created == 0, output);
        var id = Secret(output).Substring(4, 12);

        var (listed, list) = await CliHarness.RunAsync("keys", "list", "--server", Address, "--api-key", _admin);
        Assert.True(listed == 0, list);
        Assert.Contains(id, list, StringComparison.Ordinal);
        Assert.Contains("docs*,shop", list, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret(output)[17..], list, StringComparison.Ordinal);

        var (rotated, rotation) = await CliHarness.RunAsync("keys", "rotate", id, "--server", Address, "--api-key", _admin);
        Assert.True(rotated == 0, rotation);
        var successor = Secret(rotation);
        var (usable, _) = await CliHarness.RunAsync("collections", "list", "--server", Address, "--api-key", successor);
        Assert.Equal(0, usable);

        var (revoked, revocation) = await CliHarness.RunAsync("keys", "revoke", successor.Substring(4, 12), "--server", Address, "--api-key", _admin);
        Assert.True(revoked == 0, revocation);
        var (refused, _) = await CliHarness.RunAsync("collections", "list", "--server", Address, "--api-key", successor);
        Assert.Equal(1, refused);
    }

    [Fact]
    public async Task ReadKey_CannotCreateKeys()
    {
        var (_, output) = await CliHarness.RunAsync("keys", "create", "--scope", "read", "--server", Address, "--api-key", _admin);
        var reader = Secret(output);

        var (code, refused) = await CliHarness.RunAsync("keys", "create", "--scope", "admin", "--server", Address, "--api-key", reader);

        Assert.Equal(1, code);
        Assert.Contains("PermissionDenied", refused, StringComparison.Ordinal);
    }

    private static string Secret(string output) => KeyPattern().Match(output) is { Success: true } match
        ? match.Value
        : throw new InvalidOperationException($"no key in the output: {output}");

    [GeneratedRegex("rtv_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")]
    private static partial Regex KeyPattern();
}
