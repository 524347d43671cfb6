using System.Diagnostics;
using System.Globalization;
using Retrieval.Benchmarks.Ann;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Server;

namespace Retrieval.Benchmarks.PeerHarness;

/// <summary>
/// Retrieval as a peer: the server binary in a child process (<see cref="ServerChild"/>) on the embedded SQLite store,
/// one collection with one HNSW space, loaded over gRPC and searched with unary <c>Search</c> calls.
/// </summary>
internal sealed class RetrievalServerPeer : IServerPeer
{
    private const string Collection = "peers";
    private const string Space = "v";
    private readonly ServerChild _server;
    private readonly Search.SearchClient _client;
    private readonly PeerData _data;
    private readonly string _directory;
    private SearchRequest[] _requests = [];

    private RetrievalServerPeer(ServerChild server, PeerData data, string directory)
    {
        _server = server;
        _client = new Search.SearchClient(server.Channel);
        _data = data;
        _directory = directory;
    }

    public string Name => "Retrieval (gRPC)";

    public int MaxEf => Retrieval.Engine.RetrievalEngine.MaxEfSearch;

    public int ServerProcessId => _server.ProcessId;

    /// <summary>
    /// Starts the server, creates the space with <c>HNSW{m},efConstruction={efConstruction}</c>, writes every row in
    /// batches of 1000 and waits until the whole space is indexed. One sealed segment holds the data (seal threshold and
    /// segment size = the row count), as a bulk load leaves it.
    /// </summary>
    public static async Task<RetrievalServerPeer> StartAsync(PeerData data, int m, int efConstruction, TextWriter log)
    {
        var directory = Path.Combine(Path.GetTempPath(), "retrieval-peers-bench", Guid.NewGuid().ToString("N"));
        var configuration = new ServerConfiguration("sqlite", null, directory);
        var count = data.Count.ToString(CultureInfo.InvariantCulture);
        configuration.Extra["Retrieval:Indexing:SealThreshold"] = count;
        configuration.Extra["Retrieval:Indexing:MaxSegmentVectors"] = count;
        configuration.Extra["Retrieval:Indexing:HnswEfConstruction"] = efConstruction.ToString(CultureInfo.InvariantCulture);
        configuration.Extra["Retrieval:Indexing:BuildThreads"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);
        var server = await ServerChild.StartAsync(configuration, new Dictionary<string, string>(), TimeSpan.FromMinutes(2));
        var peer = new RetrievalServerPeer(server, data, directory);
        try
        {
            await peer.LoadAsync($"HNSW{m},efConstruction={efConstruction}", log);
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }

        return peer;
    }

    public ValueTask UseEfAsync(int ef)
    {
        _requests = [.. Enumerable.Range(0, _data.QueryCount).Select(q => new SearchRequest
        {
            Collection = Collection,
            Space = Space,
            K = _data.K,
            EfSearch = ef,
            Vector = new Vector { Values = { _data.Query(q).ToArray() } },
        })];
        return ValueTask.CompletedTask;
    }

    public async Task<long[]> SearchAsync(int q)
    {
        var hits = (await _client.SearchAsync(_requests[q])).Hits;
        var rows = new long[hits.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = long.Parse(hits[i].Id, CultureInfo.InvariantCulture);
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind is harmless.
        }
    }

    private async Task LoadAsync(string spec, TextWriter log)
    {
        var collections = new Collections.CollectionsClient(_server.Channel);
        var items = new Items.ItemsClient(_server.Channel);
        var create = new CreateCollectionRequest { Name = Collection };
        create.Spaces.Add(new Contracts.V1.Space
        {
            Name = Space,
            Dimension = _data.Dimension,
            Metric = _data.InnerProduct ? Metric.InnerProduct : Metric.L2,
            Model = new ModelRef { Name = "peers", Version = "1" },
            Index = spec,
        });
        await collections.CreateCollectionAsync(create);
        var watch = Stopwatch.StartNew();
        for (var start = 0; start < _data.Count; start += 1000)
        {
            var request = new UpsertItemsRequest { Collection = Collection };
            for (var row = start; row < Math.Min(_data.Count, start + 1000); row++)
            {
                request.Items.Add(new Item { Id = row.ToString(CultureInfo.InvariantCulture), Vectors = { [Space] = new Vector { Values = { _data.Vector(row).ToArray() } } } });
            }

            await items.UpsertItemsAsync(request);
        }

        var written = watch.Elapsed.TotalSeconds;
        while ((await collections.GetSpaceIndexStatusAsync(new GetSpaceIndexStatusRequest { Collection = Collection, Space = Space })).IndexedVectors < _data.Count)
        {
            await Task.Delay(500);
        }

        await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"# Retrieval: {spec}, {_data.Count} rows written over gRPC in {written:F1} s, indexed {watch.Elapsed.TotalSeconds - written:F1} s later"));
    }
}
