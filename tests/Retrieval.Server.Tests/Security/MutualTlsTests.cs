using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Security;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Security;

/// <summary>
/// A secured server whose gRPC endpoint and a second REST endpoint speak TLS with a certificate from a test CA, and which
/// maps client certificates of that CA to scopes: <c>CN=ci-admin</c> by thumbprint (admin), <c>CN=reader</c> by subject (read).
/// </summary>
public sealed class MutualTlsServerFixture : SecuredServerFixture
{
    private readonly X509Certificate2 _ca = TestCertificates.CreateCa("retrieval-test-ca");
    private readonly X509Certificate2 _rogueCa = TestCertificates.CreateCa("rogue-ca");

    public MutualTlsServerFixture()
    {
        AdminClient = TestCertificates.IssueClient(_ca, "CN=ci-admin");
        ReaderClient = TestCertificates.IssueClient(_ca, "CN=reader");
        UnmappedClient = TestCertificates.IssueClient(_ca, "CN=stranger");
        RogueClient = TestCertificates.IssueClient(_rogueCa, "CN=ci-admin");
    }

    public X509Certificate2 AdminClient { get; }

    public X509Certificate2 ReaderClient { get; }

    public X509Certificate2 UnmappedClient { get; }

    /// <summary>Same subject as the admin's, issued by a CA the server does not trust.</summary>
    public X509Certificate2 RogueClient { get; }

    public X509Certificate2 Ca => _ca;

    public int TlsRestPort { get; } = FreePort.Next();

    public string CaFile { get; private set; } = "";

    protected override void Configure(ServerConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var directory = Path.Combine(configuration.DataDirectory, "tls");
        var (serverCertificate, serverKey) = TestCertificates.WritePem(TestCertificates.IssueServer(_ca), directory, "server");
        CaFile = Path.Combine(directory, "ca.crt");
        Directory.CreateDirectory(directory);
        File.WriteAllText(CaFile, _ca.ExportCertificatePem());
        var extra = configuration.Extra;
        // The plain REST endpoint stays for the fixture's readiness probe; gRPC and a second REST endpoint use TLS.
        extra["Kestrel:Endpoints:Grpc:Url"] = $"https://127.0.0.1:{configuration.GrpcPort}";
        extra["Kestrel:Endpoints:Grpc:Certificate:Path"] = serverCertificate;
        extra["Kestrel:Endpoints:Grpc:Certificate:KeyPath"] = serverKey;
        extra["Kestrel:Endpoints:RestTls:Url"] = $"https://127.0.0.1:{TlsRestPort}";
        extra["Kestrel:Endpoints:RestTls:Protocols"] = "Http1";
        extra["Kestrel:Endpoints:RestTls:Certificate:Path"] = serverCertificate;
        extra["Kestrel:Endpoints:RestTls:Certificate:KeyPath"] = serverKey;
        extra["Retrieval:Auth:ClientCertificates:CaFile"] = CaFile;
        extra["Retrieval:Auth:ClientCertificates:Map:0:Thumbprint"] = AdminClient.GetCertHashString(HashAlgorithmName.SHA256);
        extra["Retrieval:Auth:ClientCertificates:Map:0:Name"] = "ci";
        extra["Retrieval:Auth:ClientCertificates:Map:0:Scope"] = "admin";
        extra["Retrieval:Auth:ClientCertificates:Map:1:Subject"] = "CN=reader";
        extra["Retrieval:Auth:ClientCertificates:Map:1:Scope"] = "read";
    }

    /// <summary>The fixture's own setup talks gRPC through the TLS endpoint.</summary>
    protected override GrpcChannel CreateSetupChannel() => TlsChannel(null);

    /// <summary>A gRPC channel over TLS that trusts the test CA and presents <paramref name="client"/> (none when null).</summary>
    public GrpcChannel TlsChannel(X509Certificate2? client) =>
        GrpcChannel.ForAddress($"https://127.0.0.1:{Configuration.GrpcPort}", new GrpcChannelOptions { HttpHandler = Handler(client) });

    public HttpClient TlsRest(X509Certificate2? client) =>
        new(Handler(client)) { BaseAddress = new Uri($"https://127.0.0.1:{TlsRestPort}") };

    private SocketsHttpHandler Handler(X509Certificate2? client)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return certificate is X509Certificate2 presented && chain.Build(presented);
        };
        if (client is not null)
        {
            handler.SslOptions.ClientCertificates = [client];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => client;
        }

        return handler;
    }
}

/// <summary>TLS on both endpoints and mutual TLS: mapped certificates are accepted with their scope, others refused.</summary>
public sealed class MutualTlsTests(MutualTlsServerFixture fixture) : IClassFixture<MutualTlsServerFixture>
{
    [Fact]
    public async Task MappedCertificate_WithoutKey_IsAcceptedWithItsScope()
    {
        using var channel = fixture.TlsChannel(fixture.AdminClient);
        var collections = await new Collections.CollectionsClient(channel).ListCollectionsAsync(new ListCollectionsRequest());
        using var rest = fixture.TlsRest(fixture.AdminClient);
        using var response = await rest.GetAsync(new Uri("/v1/collections", UriKind.Relative));

        Assert.Contains(collections.Collections, c => c.Name == SecuredServerFixture.Victim);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ReadScopeCertificate_MayReadButNotWrite()
    {
        using var channel = fixture.TlsChannel(fixture.ReaderClient);
        var count = await new Items.ItemsClient(channel).CountItemsAsync(new CountItemsRequest { Collection = SecuredServerFixture.Victim });
        var refused = await Assert.ThrowsAsync<RpcException>(() => new Items.ItemsClient(channel).DeleteItemsAsync(
            new DeleteItemsRequest { Collection = SecuredServerFixture.Victim, Ids = { "item-0" } }).ResponseAsync);

        Assert.Equal(3, count.Count);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
    }

    [Theory]
    [InlineData("rogue")]
    [InlineData("unmapped")]
    [InlineData("none")]
    public async Task CertificateNotTrustedOrNotMapped_IsRefused(string which)
    {
        var client = which switch
        {
            "rogue" => fixture.RogueClient,
            "unmapped" => fixture.UnmappedClient,
            _ => null,
        };
        using var channel = fixture.TlsChannel(client);
        var refused = await Assert.ThrowsAsync<RpcException>(() => new Collections.CollectionsClient(channel).ListCollectionsAsync(new ListCollectionsRequest()).ResponseAsync);
        using var rest = fixture.TlsRest(client);
        using var response = await rest.GetAsync(new Uri("/v1/collections", UriKind.Relative));

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task KeyOverTls_WithoutClientCertificate_IsAccepted()
    {
        using var channel = fixture.TlsChannel(null);
        var count = await new Items.ItemsClient(channel).CountItemsAsync(
            new CountItemsRequest { Collection = SecuredServerFixture.Victim }, SecuredServerFixture.Auth(fixture.Read));

        Assert.Equal(3, count.Count);
    }
}
