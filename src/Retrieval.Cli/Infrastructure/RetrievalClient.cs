using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Retrieval.Contracts.V1;

namespace Retrieval.Cli.Infrastructure;

/// <summary>The gRPC clients of one server, sharing one channel that carries the API key and the TLS settings.</summary>
internal sealed class RetrievalClient : IDisposable
{
    private readonly GrpcChannel _channel;

    public RetrievalClient(ServerSettings settings)
    {
        _channel = GrpcChannel.ForAddress(settings.ResolveServer(), new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            MaxSendMessageSize = 64 * 1024 * 1024,
            HttpHandler = CreateHandler(settings),
        });
        var apiKey = settings.ResolveApiKey();
        // The key rides in call headers (not channel credentials), so it also works over plain http on loopback.
        var invoker = apiKey is null
            ? _channel.CreateCallInvoker()
            : _channel.CreateCallInvoker().Intercept(metadata =>
            {
                metadata.Add("authorization", $"Bearer {apiKey}");
                return metadata;
            });
        Collections = new Collections.CollectionsClient(invoker);
        Items = new Items.ItemsClient(invoker);
        Search = new Search.SearchClient(invoker);
        Maps = new Maps.MapsClient(invoker);
        Migrations = new Migrations.MigrationsClient(invoker);
        Keys = new Keys.KeysClient(invoker);
        Cluster = new Contracts.V1.Cluster.ClusterClient(invoker);
    }

    public Collections.CollectionsClient Collections { get; }

    public Items.ItemsClient Items { get; }

    public Search.SearchClient Search { get; }

    public Maps.MapsClient Maps { get; }

    public Migrations.MigrationsClient Migrations { get; }

    public Keys.KeysClient Keys { get; }

    public Contracts.V1.Cluster.ClusterClient Cluster { get; }

    public void Dispose() => _channel.Dispose();

    private static SocketsHttpHandler CreateHandler(ServerSettings settings)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (settings.Ca is { } caFile)
        {
            var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caFile));
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is not null && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && ChainsTo(certificate, ca);
        }

        if (settings.Cert is { } certFile && settings.Key is { } keyFile)
        {
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(certFile, keyFile)];
        }

        return handler;
    }

    private static bool ChainsTo(X509Certificate certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
