using System.Security.Cryptography;
using Retrieval.Testing.Security;
using Retrieval.Testing.Server;

namespace Retrieval.Cli.Tests;

/// <summary>
/// The CLI against a server whose gRPC endpoint speaks TLS with a certificate from a test CA and accepts one mapped
/// client certificate: <c>--ca</c>, <c>--cert</c> and <c>--key</c> get it in; without them it stays out.
/// </summary>
public sealed class TlsCommandTests : IAsyncLifetime
{
    private readonly ServerConfiguration _configuration = new("sqlite", null);
    private InProcessServer? _server;
    private string _ca = "";
    private (string Certificate, string Key) _client;

    private string Address => $"https://127.0.0.1:{_configuration.GrpcPort}";

    public async Task InitializeAsync()
    {
        var directory = Path.Combine(_configuration.DataDirectory, "tls");
        var ca = TestCertificates.CreateCa("cli-test-ca");
        var client = TestCertificates.IssueClient(ca, "CN=cli");
        var (serverCertificate, serverKey) = TestCertificates.WritePem(TestCertificates.IssueServer(ca), directory, "server");
        _client = TestCertificates.WritePem(client, directory, "client");
        _ca = Path.Combine(directory, "ca.crt");
        await File.WriteAllTextAsync(_ca, ca.ExportCertificatePem());

        var extra = _configuration.Extra;
        extra["Retrieval:Auth:Mode"] = "enabled";
        extra["Kestrel:Endpoints:Grpc:Url"] = Address;
        extra["Kestrel:Endpoints:Grpc:Certificate:Path"] = serverCertificate;
        extra["Kestrel:Endpoints:Grpc:Certificate:KeyPath"] = serverKey;
        extra["Retrieval:Auth:ClientCertificates:CaFile"] = _ca;
        extra["Retrieval:Auth:ClientCertificates:Map:0:Thumbprint"] = client.GetCertHashString(HashAlgorithmName.SHA256);
        extra["Retrieval:Auth:ClientCertificates:Map:0:Scope"] = "admin";
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
    public async Task ClientCertificate_WithCa_IsAccepted()
    {
        var (code, output) = await CliHarness.RunAsync("collections", "list", "--server", Address, "--ca", _ca, "--cert", _client.Certificate, "--key", _client.Key);

        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task WithoutClientCertificate_IsUnauthenticated()
    {
        var (code, output) = await CliHarness.RunAsync("collections", "list", "--server", Address, "--ca", _ca);

        Assert.Equal(1, code);
        Assert.Contains("Unauthenticated", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertWithoutKey_IsAUsageError()
    {
        var (code, output) = await CliHarness.RunAsync("collections", "list", "--server", Address, "--cert", _client.Certificate);

        Assert.NotEqual(0, code);
        Assert.Contains("--cert and --key go together", output, StringComparison.Ordinal);
    }
}
