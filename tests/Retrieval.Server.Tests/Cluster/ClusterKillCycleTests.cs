using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Storage.Postgres;
using Retrieval.Testing;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// SIGKILL cycles on a 3-node cluster (real server processes on loopback, the test PostgreSQL): a streaming upsert load
/// goes through two nodes and searches go to the live ones while a random node is killed and restarted, again and again.
/// Afterwards every acknowledged item is in the store of record and on a node that loaded it, with its exact vector and
/// payload; every search answered in full or failed UNAVAILABLE within its deadline. The number of cycles is
/// <c>RETRIEVAL_CLUSTER_KILL_CYCLES</c> (default 10), and <c>RETRIEVAL_CLUSTER_KILL_SECONDS</c> keeps cycling at least
/// that long, for longer runs.
/// </summary>
public sealed class ClusterKillCycleTests(ITestOutputHelper output)
{
    private const int Dimension = 16;
    private const int BatchSize = 20;
    private const int SearchK = 10;
    private const int SeedItems = 50;

    /// <summary>Each writer's pause between acknowledged batches: at most ~200 items/s per writer.</summary>
    private static readonly TimeSpan WriterPause = TimeSpan.FromMilliseconds(100);

    /// <summary>Each search's deadline: a live node answers well within it; one killed mid-call fails at once.</summary>
    private static readonly TimeSpan SearchDeadline = TimeSpan.FromSeconds(5);

    /// <summary>How far past its deadline a failed call may come back (client-side scheduling on a loaded 2-core machine).</summary>
    private static readonly TimeSpan DeadlineSlack = TimeSpan.FromSeconds(2);

    [SkippableFact]
    public async Task StreamingUpserts_ThroughTwoNodes_WhileRandomNodesAreSigkilled_KeepEveryAcknowledgedItem_AndNoSearchComesBackShort()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var cycles = Setting("RETRIEVAL_CLUSTER_KILL_CYCLES", 10);
        var minimumSeconds = Setting("RETRIEVAL_CLUSTER_KILL_SECONDS", 0);
        var clock = Stopwatch.StartNew();
        await using var cluster = await KillableCluster.CreateAsync(3, new Dictionary<string, string>());

        // Nodes load every collection at start (they do not follow each other's catalog yet): create it, then start the rest.
        var first = await cluster.StartAsync(0);
        const string collection = "stream";
        await first.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = collection,
            Spaces = { new Space { Name = "v", Dimension = Dimension, Metric = Metric.L2, Model = new ModelRef { Name = "m", Version = "1" } } },
        });
        var load = new UpsertLoad(collection, seed: 17);
        await load.SeedAsync(first, SeedItems);
        await Task.WhenAll(cluster.StartAsync(1), cluster.StartAsync(2));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: 3 nodes ready, {SeedItems} items seeded");

        using var stop = new CancellationTokenSource();
        var searches = new SearchProbe(collection);
        var loadTasks = new[]
        {
            load.RunWriterAsync(cluster, writer: 0, homeNode: 0, otherNode: 1, stop.Token),
            load.RunWriterAsync(cluster, writer: 1, homeNode: 1, otherNode: 0, stop.Token),
            searches.RunAsync(cluster, seed: 19, stop.Token),
        };

        var random = new Random(23);
        var cycle = 0;
        try
        {
            for (; cycle < cycles || clock.Elapsed.TotalSeconds < minimumSeconds; cycle++)
            {
                await Task.Delay(random.Next(300, 900));
                var victim = random.Next(cluster.Count);
                await cluster.KillAsync(victim);
                var killedAt = clock.Elapsed;
                await Task.Delay(random.Next(100, 600));
                await cluster.StartAsync(victim);
                output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: cycle {cycle}: {KillableCluster.NodeName(victim)} killed, back after {(clock.Elapsed - killedAt).TotalSeconds:F1} s; {load.Acknowledged.Count} items acknowledged");
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(loadTasks);
        }

        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {cycle} cycles; {load.Acknowledged.Count} items acknowledged, {load.Unknown.Count} of unknown outcome, {load.Refused} batches refused; " +
            $"{searches.Answered} searches answered, {searches.Unavailable} UNAVAILABLE");
        Assert.True(cycle >= 10, $"{cycle} cycles");
        Assert.Empty(searches.Violations);
        Assert.True(searches.Answered >= cycle, $"only {searches.Answered} searches were answered during {cycle} cycles");
        Assert.True(load.Acknowledged.Count >= SeedItems + cycle * BatchSize, $"only {load.Acknowledged.Count} items were acknowledged during {cycle} cycles");

        // The store of record holds every acknowledged item exactly as sent; an unacknowledged one is absent or exact.
        await using (var store = new PostgresRetrievalStore(cluster.ConnectionString))
        {
            await store.OpenAsync(CancellationToken.None);
            foreach (var chunk in load.Acknowledged.Keys.Chunk(500))
            {
                var stored = (await store.GetItemsAsync(collection, chunk, CancellationToken.None)).ToDictionary(i => i.Id);
                Assert.All(chunk, id => Assert.True(stored.TryGetValue(id, out var item) && load.Matches(item), $"acknowledged item {id} is missing or differs in the store"));
            }

            foreach (var chunk in load.Unknown.Keys.Chunk(500))
            {
                var stored = await store.GetItemsAsync(collection, chunk, CancellationToken.None);
                Assert.All(stored, item => Assert.True(load.Matches(item), $"unacknowledged item {item.Id} differs from what was sent"));
            }
        }

        // A node started after the load loads all of it and serves it through the API.
        var reader = cluster.LiveIndexes()[0];
        await cluster.KillAsync(reader);
        var restarted = await cluster.StartAsync(reader);
        var info = await restarted.Collections.GetCollectionAsync(new GetCollectionRequest { Name = collection });
        Assert.InRange(info.ItemCount, load.Acknowledged.Count, load.Acknowledged.Count + load.Unknown.Count);
        foreach (var chunk in load.Acknowledged.Keys.Chunk(500))
        {
            var got = await restarted.Items.GetItemsAsync(new GetItemsRequest { Collection = collection, Ids = { chunk }, WithVectors = true });
            Assert.Equal(chunk.Length, got.Items.Count);
            Assert.All(got.Items, item => Assert.True(load.Matches(item), $"item {item.Id} differs on {KillableCluster.NodeName(reader)}"));
        }

        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: every acknowledged item checked in the store and on a restarted node");
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value : fallback;

    /// <summary>
    /// Writers that upsert batches of new items through a home node (the other writer node while it is down), recording
    /// what was acknowledged and what failed with an unknown outcome (the node died with the batch in flight).
    /// </summary>
    private sealed class UpsertLoad(string collection, int seed)
    {
        private readonly ConcurrentDictionary<string, (float[] Vector, string Tag)> _sent = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, bool> Acknowledged { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, bool> Unknown { get; } = new(StringComparer.Ordinal);

        private int _refused;

        public int Refused => _refused;

        public async Task SeedAsync(Infrastructure.ChildServerProcess node, int count)
        {
            var request = Batch("seed", 0, count, new Random(seed));
            await node.Items.UpsertItemsAsync(request);
            foreach (var item in request.Items)
            {
                Acknowledged[item.Id] = true;
            }
        }

        public async Task RunWriterAsync(KillableCluster cluster, int writer, int homeNode, int otherNode, CancellationToken stop)
        {
            var random = new Random(seed + writer + 1);
            for (var batch = 0; !stop.IsCancellationRequested; batch++)
            {
                var node = cluster.Live(homeNode) ?? cluster.Live(otherNode);
                if (node is null)
                {
                    await Task.Delay(50, CancellationToken.None);
                    batch--;
                    continue;
                }

                var request = Batch($"w{writer}", batch, BatchSize, random);
                try
                {
                    await node.Items.UpsertItemsAsync(request, deadline: DateTime.UtcNow.AddSeconds(15), cancellationToken: CancellationToken.None);
                    foreach (var item in request.Items)
                    {
                        Acknowledged[item.Id] = true;
                    }

                    // A steady stream, not a flood: the check afterwards reads every item back, so the test stays bounded.
                    await Task.Delay(WriterPause, CancellationToken.None);
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Cancelled)
                {
                    // The node died with the batch in flight (or refused it while stopping): it may or may not have committed.
                    Interlocked.Increment(ref _refused);
                    foreach (var item in request.Items)
                    {
                        Unknown[item.Id] = true;
                    }
                }
            }
        }

        public bool Matches(Core.Storage.StoredItem item) =>
            _sent.TryGetValue(item.Id, out var sent)
            && item.Vectors.TryGetValue("v", out var vector) && vector.AsSpan().SequenceEqual(sent.Vector)
            && JsonNode.DeepEquals(JsonNode.Parse(item.PayloadJson), Payload(item.Id, sent.Tag));

        public bool Matches(Item item) =>
            _sent.TryGetValue(item.Id, out var sent)
            && item.Vectors.TryGetValue("v", out var vector) && vector.Values.SequenceEqual(sent.Vector)
            && JsonNode.DeepEquals(JsonNode.Parse(Google.Protobuf.JsonFormatter.Default.Format(item.Payload)), Payload(item.Id, sent.Tag));

        private static JsonObject Payload(string id, string tag) => new() { ["id"] = id, ["tag"] = tag };

        private UpsertItemsRequest Batch(string prefix, int batch, int count, Random random)
        {
            var request = new UpsertItemsRequest { Collection = collection };
            for (var i = 0; i < count; i++)
            {
                var id = $"{prefix}-{batch:D5}-{i:D2}";
                var vector = Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble()).ToArray();
                var tag = Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()));
                _sent[id] = (vector, tag);
                request.Items.Add(new Item
                {
                    Id = id,
                    Vectors = { ["v"] = new Vector { Values = { vector } } },
                    Payload = new Struct { Fields = { ["id"] = Value.ForString(id), ["tag"] = Value.ForString(tag) } },
                });
            }

            return request;
        }
    }

    /// <summary>
    /// Searches the live nodes one after another. Each must answer with min(k, items the node held before the call) hits,
    /// or fail UNAVAILABLE within its deadline (the node died with the call in flight); anything else is a violation.
    /// </summary>
    private sealed class SearchProbe(string collection)
    {
        public ConcurrentQueue<string> Violations { get; } = new();

        private int _answered;
        private int _unavailable;

        public int Answered => _answered;

        public int Unavailable => _unavailable;

        public async Task RunAsync(KillableCluster cluster, int seed, CancellationToken stop)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                var live = cluster.LiveIndexes();
                if (live.Count == 0 || cluster.Live(live[random.Next(live.Count)]) is not { } node)
                {
                    await Task.Delay(20, CancellationToken.None);
                    continue;
                }

                var started = Stopwatch.StartNew();
                try
                {
                    // Items are only ever added: what the node held before the call is a lower bound of what it holds during it.
                    var before = (await node.Collections.GetCollectionAsync(new GetCollectionRequest { Name = collection }, deadline: DateTime.UtcNow.Add(SearchDeadline), cancellationToken: CancellationToken.None)).ItemCount;
                    started.Restart();
                    var query = new Vector { Values = { Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble()) } };
                    var response = await node.Search.SearchAsync(
                        new SearchRequest { Collection = collection, Vector = query, K = SearchK }, deadline: DateTime.UtcNow.Add(SearchDeadline), cancellationToken: CancellationToken.None);
                    Interlocked.Increment(ref _answered);
                    if (response.Hits.Count != Math.Min(SearchK, before))
                    {
                        Violations.Enqueue($"a search answered {response.Hits.Count} hits where the node held {before} items (k = {SearchK})");
                    }
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
                {
                    Interlocked.Increment(ref _unavailable);
                    if (started.Elapsed > SearchDeadline + DeadlineSlack)
                    {
                        Violations.Enqueue($"UNAVAILABLE after {started.Elapsed.TotalSeconds:F1} s, past the {SearchDeadline.TotalSeconds:F0} s deadline");
                    }
                }
                catch (RpcException e)
                {
                    Violations.Enqueue($"a search failed {e.StatusCode} after {started.Elapsed.TotalSeconds:F1} s: {e.Status.Detail}");
                }
            }
        }
    }
}
