using Grpc.Net.Client;
using Retrieval.Contracts.V1;

namespace Retrieval.Cli.Infrastructure;

/// <summary>The gRPC clients of one server, sharing one channel.</summary>
internal sealed class RetrievalClient : IDisposable
{
    private readonly GrpcChannel _channel;

    public RetrievalClient(string address)
    {
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            MaxSendMessageSize = 64 * 1024 * 1024,
        });
        Collections = new Collections.CollectionsClient(_channel);
        Items = new Items.ItemsClient(_channel);
        Search = new Search.SearchClient(_channel);
        Maps = new Maps.MapsClient(_channel);
        Migrations = new Migrations.MigrationsClient(_channel);
    }

    public Collections.CollectionsClient Collections { get; }

    public Items.ItemsClient Items { get; }

    public Search.SearchClient Search { get; }

    public Maps.MapsClient Maps { get; }

    public Migrations.MigrationsClient Migrations { get; }

    public void Dispose() => _channel.Dispose();
}
