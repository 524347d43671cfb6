using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Durability;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing;
using Retrieval.Testing.Onnx;
using Retrieval.Testing.Server;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// Three real server processes over one PostgreSQL, each following the store: a collection created on one node while
/// all run, upserts and deletes through every node, a map fitted and activated on the second and a migration started on
/// the third are all seen by the others; searches on every node equal the exact results of a single-node reference
/// computed here over the same data. Needs <c>RETRIEVAL_TEST_POSTGRES</c>.
/// </summary>
public sealed class ClusterFollowTests(ITestOutputHelper output)
{
    private const int NodeCount = 3;
    private const int Dimension = 8;

    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(60);

    /// <summary>What other nodes must see within: notices make it milliseconds, the 1 s poll bounds a lost one; CI is slow.</summary>
    private static readonly TimeSpan VisibleBound = TimeSpan.FromSeconds(15);

    [SkippableFact]
    public async Task ThreeNodes_WritesAndCatalogChangesThroughAnyNode_EveryNodeAnswersAsOne()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var clock = Stopwatch.StartNew();
        await using var store = await ChildServerStore.PostgresAsync();
        var nodes = await Task.WhenAll(Enumerable.Range(0, NodeCount)
            .Select(i => ChildServerProcess.StartAsync(NodeConfiguration(store.Configuration.PostgresConnection!, i), StartBound)));
        try
        {
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {NodeCount} nodes ready");
            await WritesThroughEveryNodeAsync(nodes);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: writes through every node; searches equal the reference on every node");
            await MultiVectorSpaceAsync(nodes);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: a multi-vector space answers alike on every node");
            await MapAndMigrationAsync(nodes);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: a map from node 1 and a migration from node 2 followed everywhere");
            await EncoderThroughOneNodeAsync(nodes);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: an encoder registered through node 0 encodes raw text on nodes 1 and 2");
            foreach (var node in nodes)
            {
                Assert.Empty(node.ErrorLines);
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static async Task WritesThroughEveryNodeAsync(ChildServerProcess[] nodes)
    {
        await nodes[0].Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = "items",
            Shards = 2,
            Spaces = { new Space { Name = "v", Dimension = Dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" } } },
        });
        // The others know it at once: a request naming a collection a node does not know reads the catalog first.
        for (var i = 1; i < NodeCount; i++)
        {
            Assert.Equal(2, (await nodes[i].Collections.GetCollectionAsync(new GetCollectionRequest { Name = "items" })).Shards);
        }

        var expected = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var random = new Random(7);
        for (var round = 0; round < 4; round++)
        {
            for (var n = 0; n < NodeCount; n++)
            {
                var upsert = new UpsertItemsRequest { Collection = "items" };
                for (var j = 0; j < 40; j++)
                {
                    // Ids overlap across nodes and rounds: later writes through another node overwrite earlier ones.
                    var id = $"i{random.Next(300):D3}";
                    var vector = Vectors.Random(1, Dimension, random.Next())[0];
                    if (upsert.Items.Any(item => item.Id == id))
                    {
                        continue;
                    }

                    upsert.Items.Add(new Item { Id = id, Vectors = { ["v"] = MigrationScenario.Vector(vector) } });
                    expected[id] = vector;
                }

                await nodes[n].Items.UpsertItemsAsync(upsert);
                // Read-your-writes through the node that acknowledged.
                var last = upsert.Items[^1];
                var read = await nodes[n].Items.GetItemsAsync(new GetItemsRequest { Collection = "items", Ids = { last.Id }, WithVectors = true });
                Assert.Equal(last.Vectors["v"].Values, read.Items.Single().Vectors["v"].Values);

                var doomed = expected.Keys.OrderBy(_ => random.Next()).Take(5).ToList();
                await nodes[(n + 1) % NodeCount].Items.DeleteItemsAsync(new DeleteItemsRequest { Collection = "items", Ids = { doomed } });
                doomed.ForEach(id => expected.Remove(id));
            }
        }

        foreach (var node in nodes)
        {
            await WaitForAsync(node, "every write", async () =>
                (await node.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "items" })).ItemCount == expected.Count);
        }

        var queries = Vectors.Random(10, Dimension, seed: 99);
        foreach (var query in queries)
        {
            var reference = expected
                .Select(p => (Id: p.Key, Score: p.Value.Select((x, d) => (double)x * query[d]).Sum()))
                .OrderByDescending(h => h.Score).ThenBy(h => h.Id, StringComparer.Ordinal).Take(10).Select(h => h.Id).ToList();
            foreach (var node in nodes)
            {
                var hits = await node.Search.SearchAsync(new SearchRequest { Collection = "items", Vector = MigrationScenario.Vector(query), K = 10, Exact = true });
                Assert.Equal(reference, hits.Hits.Select(h => h.Id));
            }
        }

        var ids = expected.Keys.Order(StringComparer.Ordinal).Take(20).ToList();
        foreach (var node in nodes)
        {
            var items = await node.Items.GetItemsAsync(new GetItemsRequest { Collection = "items", Ids = { ids }, WithVectors = true });
            Assert.Equal(ids, items.Items.Select(i => i.Id));
            Assert.All(items.Items, item => Assert.Equal(expected[item.Id], item.Vectors["v"].Values));
        }
    }

    private static async Task MultiVectorSpaceAsync(ChildServerProcess[] nodes)
    {
        await nodes[1].Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = "tokens",
            Spaces =
            {
                new Space
                {
                    Name = "colbert", Dimension = Dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" },
                    Kind = SpaceKind.Multi,
                    MultiVector = new MultiVectorConfig { Muvera = new MuveraConfig { Preset = MuveraPreset.EndToEnd, Seed = 3 } },
                },
            },
        });
        for (var n = 0; n < NodeCount; n++)
        {
            var upsert = new UpsertItemsRequest { Collection = "tokens" };
            upsert.Items.Add(Enumerable.Range(0, 15).Select(i => new Item
            {
                Id = $"d{n}-{i}",
                Vectors = { ["colbert"] = Rows(Vectors.Random(6, Dimension, seed: (n * 100) + i)) },
            }));
            await nodes[(n + 2) % NodeCount].Items.UpsertItemsAsync(upsert);
        }

        foreach (var node in nodes)
        {
            await WaitForAsync(node, "every multi-vector item", async () =>
                (await node.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "tokens" })).ItemCount == 15 * NodeCount);
        }

        foreach (var (query, q) in Vectors.Random(5, Dimension, seed: 5).Select((v, q) => (v, q)))
        {
            var request = new SearchRequest { Collection = "tokens", Vector = Rows(Vectors.Random(3, Dimension, seed: 500 + q)), K = 10, Candidates = 45 };
            var first = await nodes[0].Search.SearchAsync(request);
            Assert.Equal(10, first.Hits.Count);
            for (var n = 1; n < NodeCount; n++)
            {
                var other = await nodes[n].Search.SearchAsync(request);
                Assert.Equal(first.Hits.Select(h => (h.Id, h.Score)), other.Hits.Select(h => (h.Id, h.Score)));
            }
        }
    }

    private static async Task MapAndMigrationAsync(ChildServerProcess[] nodes)
    {
        var scenario = new MigrationScenario(items: 200, anchors: 120, seed: 3);
        var collection = await scenario.CreateAsync(nodes[0].Collections, nodes[0].Items, "follow-mig");

        // Other nodes see node 0's writes within the visibility bound (read-your-writes holds only on node 0): a fit on
        // node 1 reads its anchors from node 1's memory, so wait until every node holds every item.
        var written = (await nodes[0].Collections.GetCollectionAsync(new GetCollectionRequest { Name = collection })).ItemCount;
        foreach (var node in nodes)
        {
            await WaitForAsync(node, "the scenario's items", async () =>
                (await node.Collections.GetCollectionAsync(new GetCollectionRequest { Name = collection })).ItemCount == written);
        }

        // A map fitted and activated through node 1 routes new-space queries on the others.
        var map = (await nodes[1].Maps.FitMapAsync(new FitMapRequest { Collection = collection, FromSpace = "new", ToSpace = "old", Kind = MapKind.Orthogonal })).Map;
        await nodes[1].Maps.ActivateMapAsync(new ActivateMapRequest { Collection = collection, Id = map.Id, Force = true });
        foreach (var node in nodes)
        {
            await WaitForAsync(node, "the active map", async () =>
                (await node.Maps.ListMapsAsync(new ListMapsRequest { Collection = collection })).Maps.Any(m => m.Id == map.Id && m.State == MapState.Active));
        }

        await nodes[1].Maps.RetireMapAsync(new RetireMapRequest { Collection = collection, Id = map.Id });
        foreach (var node in nodes)
        {
            await WaitForAsync(node, "the retired map", async () =>
                (await node.Maps.ListMapsAsync(new ListMapsRequest { Collection = collection })).Maps.All(m => m.Id != map.Id || m.State != MapState.Active));
        }

        // A migration started through node 2: the others then write both spaces (or are refused ABORTED and retry).
        var migration = await MigrationScenario.StartAsync(nodes[2].Migrations, collection, "m1");
        Assert.Equal(MigrationPhase.Backfilling, migration.Phase);
        var upsert = new UpsertItemsRequest { Collection = collection };
        upsert.Items.Add(new Item { Id = "late", Vectors = { ["old"] = MigrationScenario.Vector(scenario.Old[0]) } });
        await WithRetryOnAbortedAsync(() => nodes[0].Items.UpsertItemsAsync(upsert).ResponseAsync);
        foreach (var node in nodes)
        {
            await WaitForAsync(node, "the write made under the migration", async () =>
                (await node.Items.GetItemsAsync(new GetItemsRequest { Collection = collection, Ids = { "late" }, WithVectors = true })).Items
                    is [{ } item] && item.Vectors.ContainsKey("new"));
        }

        // The backfill's new vectors go through node 1; mixed searches in the new space agree on every node.
        await scenario.StreamBackfillAsync(nodes[1].Migrations, collection, "m1", scenario.Anchors, 160, batch: 20);
        foreach (var node in nodes)
        {
            await WaitForAsync(node, "the backfill", async () =>
                (await node.Search.SearchAsync(new SearchRequest { Collection = collection, Space = "new", Vector = MigrationScenario.Vector(scenario.New[150]), K = 1, Exact = true }))
                    .Hits.Single().Id == MigrationScenario.Id(150));
        }

        foreach (var query in Vectors.Random(5, Dimension, seed: 17))
        {
            var request = new SearchRequest { Collection = collection, Space = "new", Vector = MigrationScenario.Vector(query), K = 10, Exact = true };
            var first = await nodes[0].Search.SearchAsync(request);
            for (var n = 1; n < NodeCount; n++)
            {
                var other = await nodes[n].Search.SearchAsync(request);
                Assert.Equal(first.Hits.Select(h => (h.Id, h.Score)), other.Hits.Select(h => (h.Id, h.Score)));
            }
        }
    }

    private static Vector Rows(float[][] rows)
    {
        var vector = new Vector();
        vector.Rows.Add(rows.Select(MigrationScenario.Vector));
        return vector;
    }

    /// <summary>A client's handling of ABORTED: the write lost a race with another node's change; sent again, it succeeds.</summary>
    private static async Task WithRetryOnAbortedAsync(Func<Task> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await call();
                return;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Aborted && attempt < 20)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>
    /// Encoders live in the shared store: one registered through node 0 encodes on node 1 at once (a node that does not
    /// know a version reads the list again before answering), node 2 lists it by the catalog notice alone, raw-text
    /// writes and searches through the others use it, and its deletion through node 2 is followed by node 0.
    /// </summary>
    private static async Task EncoderThroughOneNodeAsync(ChildServerProcess[] nodes)
    {
        await nodes[0].Encoders.UploadEncoderAsync(new UploadEncoderRequest
        {
            Descriptor_ = new EncoderDescriptor
            {
                Name = "words",
                Version = "1",
                Dimension = TinyTextModel.Dim,
                Metric = Metric.Cosine,
                Kind = EncoderKind.Dense,
                InputKind = InputKind.Text,
                OutputName = "last_hidden_state",
                Pooling = Pooling.Mean,
                Normalize = true,
                MaxSequenceLength = 16,
                MaxBatch = 8,
                Text = new TextSettings { QueryPrefix = "query: " },
            },
            Model = ByteString.CopyFrom(new TinyTextModel(seed: 11).Model()),
            Vocabulary = ByteString.CopyFrom(TinyTextModel.VocabularyBytes),
        });

        string[] texts = ["the cat sat", "a dog ran", "the red fox", "cat and dog", "a quiet day"];
        var encode = new EncodeRequest { Name = "words", Version = "1", Inputs = { texts.Select(t => new EncoderInput { Text = t }) } };
        var onZero = await nodes[0].Encoders.EncodeAsync(encode);
        var onOne = await nodes[1].Encoders.EncodeAsync(encode);
        Assert.Equal(onZero.Embeddings.Select(e => e.Values.ToArray()), onOne.Embeddings.Select(e => e.Values.ToArray()));
        await WaitForAsync(nodes[2], "the encoder registered through node 0", async () =>
            (await nodes[2].Encoders.ListEncodersAsync(new ListEncodersRequest())).Encoders.Any(e => e.Descriptor_.Name == "words"));

        await nodes[2].Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = "texts",
            Spaces = { new Space { Name = "t", Dimension = TinyTextModel.Dim, Metric = Metric.Cosine, Model = new ModelRef { Name = "words", Version = "1" }, Encoder = new EncoderRef { Name = "words", Version = "1" } } },
        });
        var upsert = new UpsertItemsRequest { Collection = "texts" };
        for (var i = 0; i < texts.Length; i++)
        {
            var item = new Item { Id = $"t{i}" };
            item.Inputs.Add("t", new EncoderInput { Text = texts[i] });
            upsert.Items.Add(item);
        }

        await nodes[2].Items.UpsertItemsAsync(upsert);
        await WaitForAsync(nodes[1], "the raw-text items written through node 2", async () =>
            (await nodes[1].Collections.GetCollectionAsync(new GetCollectionRequest { Name = "texts" })).ItemCount == texts.Length);
        var stored = await nodes[1].Items.GetItemsAsync(new GetItemsRequest { Collection = "texts", Ids = { "t2" }, WithVectors = true });
        Assert.Equal(onZero.Embeddings[2].Values, stored.Items.Single().Vectors["t"].Values);
        var hits = await nodes[1].Search.SearchAsync(new SearchRequest { Collection = "texts", Input = new EncoderInput { Text = "the red fox" }, K = 5, Exact = true });
        var reference = await nodes[0].Search.SearchAsync(new SearchRequest { Collection = "texts", Input = new EncoderInput { Text = "the red fox" }, K = 5, Exact = true });
        Assert.Equal(reference.Hits.Select(h => h.Id), hits.Hits.Select(h => h.Id));
        // And both are the exact ranking of the query's embedding (encoded as a query) against the texts' embeddings.
        var query = (await nodes[0].Encoders.EncodeAsync(new EncodeRequest { Name = "words", Version = "1", Query = true, Inputs = { new EncoderInput { Text = "the red fox" } } }))
            .Embeddings[0].Values.ToArray();
        var ranked = onZero.Embeddings
            .Select((e, i) => (Id: $"t{i}", Score: e.Values.Select((x, d) => (double)x * query[d]).Sum()))
            .OrderByDescending(h => h.Score).ThenBy(h => h.Id, StringComparer.Ordinal).Select(h => h.Id);
        Assert.Equal(ranked, hits.Hits.Select(h => h.Id));

        await nodes[1].Collections.DeleteCollectionAsync(new DeleteCollectionRequest { Name = "texts" });
        await WaitForAsync(nodes[2], "the deletion of the collection naming the encoder", async () =>
            !(await nodes[2].Collections.ListCollectionsAsync(new ListCollectionsRequest())).Collections.Any(c => c.Name == "texts"));
        await nodes[2].Encoders.DeleteEncoderAsync(new DeleteEncoderRequest { Name = "words", Version = "1" });
        await WaitForAsync(nodes[0], "the encoder deleted through node 2", async () =>
            (await nodes[0].Encoders.ListEncodersAsync(new ListEncodersRequest())).Encoders.All(e => e.Descriptor_.Name != "words"));
        var gone = await Assert.ThrowsAsync<RpcException>(() => nodes[0].Encoders.EncodeAsync(encode).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    private static async Task WaitForAsync(ChildServerProcess node, string what, Func<Task<bool>> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < VisibleBound, $"node on port {node.GrpcPort} did not see {what} within {VisibleBound.TotalSeconds:F0} s; {node.Diagnostics()}");
            await Task.Delay(50);
        }
    }

    private static ServerConfiguration NodeConfiguration(string connectionString, int index)
    {
        var configuration = new ServerConfiguration("postgres", connectionString);
        configuration.Extra["Retrieval:Cluster:Enabled"] = "true";
        configuration.Extra["Retrieval:Cluster:AdvertisedAddress"] = "127.0.0.1";
        configuration.Extra["Retrieval:Cluster:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        configuration.Extra["Retrieval:Cluster:NodeName"] = $"node-{index}";
        return configuration;
    }
}
