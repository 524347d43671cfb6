using System.Net;
using System.Text.Json;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>Multi-vector spaces end to end over REST and gRPC: create, upsert rows, read them back, search, delete.</summary>
public abstract class MultiVectorApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private const int Dimension = 8;

    private InProcessServer Server => fixture.Server;

    [SkippableFact]
    public async Task MultiVectorSpace_UpsertGetSearchDelete_OverRestAndGrpc()
    {
        var name = TestNames.Unique("multi");
        using (var created = await Server.PostJsonAsync("/v1/collections", $$$"""
            {"name":"{{{name}}}","spaces":[{"name":"colbert","dimension":{{{Dimension}}},"metric":"METRIC_INNER_PRODUCT","model":{"name":"colbert","version":"2"},
              "kind":"SPACE_KIND_MULTI","multiVector":{"muvera":{"preset":"MUVERA_PRESET_COMPACT","seed":"5"},"candidates":30}}]}
            """))
        {
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        var documents = Enumerable.Range(0, 60).Select(i => Vectors.Random(2 + (i % 7), Dimension, seed: 100 + i)).ToList();
        var upsert = new UpsertItemsRequest { Collection = name };
        upsert.Items.Add(documents.Select((rows, i) => new Item { Id = $"d{i}", Vectors = { ["colbert"] = Rows(rows) } }));
        await Server.Items.UpsertItemsAsync(upsert);

        // REST upsert with rows, then read it back with vectors: the rows come back as sent.
        using (var restUpsert = await Server.PostJsonAsync($"/v1/collections/{name}/items:upsert",
            """{"items":[{"id":"rest","vectors":{"colbert":{"rows":[{"values":[1,0,0,0,0,0,0,0]},{"values":[0,0.5,0,0,0,0,0,0]}]}}}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, restUpsert.StatusCode);
        }

        using (var get = await Server.PostJsonAsync($"/v1/collections/{name}/items:get", """{"ids":["rest"],"withVectors":true}"""))
        {
            using var json = JsonDocument.Parse(await get.Content.ReadAsStringAsync());
            var rows = json.RootElement.GetProperty("items")[0].GetProperty("vectors").GetProperty("colbert").GetProperty("rows");
            Assert.Equal(2, rows.GetArrayLength());
            Assert.Equal(0.5, rows[1].GetProperty("values")[1].GetDouble(), 1e-6);
        }

        var query = Vectors.Random(3, Dimension, seed: 7);
        var expected = documents.Select((d, i) => (Id: $"d{i}", Score: Chamfer(query, d)))
            .Append((Id: "rest", Score: Chamfer(query, [[1, 0, 0, 0, 0, 0, 0, 0], [0, 0.5f, 0, 0, 0, 0, 0, 0]])))
            .OrderByDescending(x => x.Score).Take(5).ToList();

        var queryJson = JsonSerializer.Serialize(new { rows = query.Select(r => new { values = r }) });
        using (var exact = await Server.PostJsonAsync($"/v1/collections/{name}:search", $$"""{"vector":{{queryJson}},"k":5,"exact":true}"""))
        {
            Assert.Equal(HttpStatusCode.OK, exact.StatusCode);
            using var json = JsonDocument.Parse(await exact.Content.ReadAsStringAsync());
            var hits = json.RootElement.GetProperty("hits").EnumerateArray().ToList();
            Assert.Equal(expected.Select(e => e.Id), hits.Select(h => h.GetProperty("id").GetString()));
            for (var i = 0; i < hits.Count; i++)
            {
                Assert.Equal(expected[i].Score, hits[i].GetProperty("score").GetDouble(), 1e-4);
            }
        }

        // The FDE path with K' covering every item reranks them all: the exact answer, with the rows on request.
        var search = new SearchRequest { Collection = name, Vector = Rows(query), K = 5, Candidates = 61, WithVectors = true };
        var viaFde = await Server.Search.SearchAsync(search);
        Assert.Equal(expected.Select(e => e.Id), viaFde.Hits.Select(h => h.Id));
        Assert.True(viaFde.Hits[0].Vectors["colbert"].Rows.Count >= 1);

        await Server.Items.DeleteItemsAsync(new DeleteItemsRequest { Collection = name, Ids = { expected[0].Id } });
        var afterDelete = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Vector = Rows(query), K = 5, Exact = true });
        Assert.Equal(expected.Skip(1).Select(e => e.Id), afterDelete.Hits.Take(4).Select(h => h.Id));

        var collection = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name });
        var space = collection.Spaces.Single();
        Assert.Equal(SpaceKind.Multi, space.Kind);
        Assert.Equal((20, 4, 8, 30), (space.MultiVector.Muvera.Repetitions, space.MultiVector.Muvera.KSim, space.MultiVector.Muvera.DProj, space.MultiVector.Candidates));
        var stats = collection.MultiVectorStats.Single();
        Assert.Equal(("colbert", 60L), (stats.Space, stats.Items));
        Assert.Equal(stats.TokensReceived, stats.VectorsKept);
    }

    [SkippableFact]
    public async Task MultiVectorSpace_WithKMeansPruning_ReportsTheVectorCountReduction()
    {
        var name = TestNames.Unique("pruned");
        await Server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = name,
            Spaces =
            {
                new Space
                {
                    Name = "colbert", Dimension = Dimension, Metric = Metric.Cosine, Model = new ModelRef { Name = "m", Version = "1" },
                    Kind = SpaceKind.Multi,
                    MultiVector = new MultiVectorConfig
                    {
                        Muvera = new MuveraConfig { Preset = MuveraPreset.EndToEnd, Seed = 3 },
                        Pruning = new PruningConfig { Method = PruningMethod.KmeansFixed, Centroids = 4 },
                    },
                },
            },
        });
        var upsert = new UpsertItemsRequest { Collection = name };
        upsert.Items.Add(Enumerable.Range(0, 20).Select(i => new Item { Id = $"d{i}", Vectors = { ["colbert"] = Rows(Vectors.Random(12, Dimension, seed: i)) } }));
        await Server.Items.UpsertItemsAsync(upsert);

        var stats = (await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name })).MultiVectorStats.Single();
        Assert.Equal((20L, 240L, 80L, 3.0), (stats.Items, stats.TokensReceived, stats.VectorsKept, stats.Reduction));
        var item = (await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { "d0" }, WithVectors = true })).Items.Single();
        Assert.Equal(4, item.Vectors["colbert"].Rows.Count);
        Assert.All(item.Vectors["colbert"].Rows, r => Assert.Equal(1.0, Math.Sqrt(r.Values.Sum(v => (double)v * v)), 1e-4));
    }

    [SkippableFact]
    public async Task MultiVectorSpace_LearnedCenterAndDedup_OverRest_ArePinnedByTheFirstWriteAndReported()
    {
        var name = TestNames.Unique("centered");
        using (var created = await Server.PostJsonAsync("/v1/collections", $$$$"""
            {"name":"{{{{name}}}}","spaces":[{"name":"colbert","dimension":{{{{Dimension}}}},"metric":"METRIC_INNER_PRODUCT","model":{"name":"m","version":"1"},
              "kind":"SPACE_KIND_MULTI","multiVector":{"muvera":{"seed":"5","center":{"learnTokens":4}},"pruning":{"dedup":true}}}]}
            """))
        {
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        var before = (await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name })).Spaces.Single().MultiVector;
        Assert.Equal((4, 0), (before.Muvera.Center.LearnTokens, before.Muvera.Center.Values.Count));
        Assert.True(before.Pruning.Dedup);

        // Item a: rows 0, 1, 0 (a repeat); item b: rows 2, 3. The first 4 tokens in write order are 0, 1, 0, 2.
        float[][] r = [.. Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, Dimension).Select(c => (float)((i * 10) + c)).ToArray())];
        var upsert = new UpsertItemsRequest { Collection = name };
        upsert.Items.Add(new Item { Id = "a", Vectors = { ["colbert"] = Rows([r[0], r[1], r[0]]) } });
        upsert.Items.Add(new Item { Id = "b", Vectors = { ["colbert"] = Rows([r[2], r[3]]) } });
        await Server.Items.UpsertItemsAsync(upsert);

        var collection = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name });
        var center = collection.Spaces.Single().MultiVector.Muvera.Center;
        Assert.Equal(Enumerable.Range(0, Dimension).Select(c => (r[0][c] + r[1][c] + r[0][c] + r[2][c]) / 4), center.Values);
        var stats = collection.MultiVectorStats.Single();
        Assert.Equal((5L, 4L), (stats.TokensReceived, stats.VectorsKept));

        using var refused = await Server.PostJsonAsync("/v1/collections", $$$$$"""
            {"name":"{{{{{name}}}}}-bad","spaces":[{"name":"colbert","dimension":{{{{{Dimension}}}}},"metric":"METRIC_INNER_PRODUCT","model":{"name":"m","version":"1"},
              "kind":"SPACE_KIND_MULTI","multiVector":{"muvera":{"center":{"values":[1,2,3]}}}}]}
            """);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("multiVector.muvera.center.values", await refused.Content.ReadAsStringAsync());
    }

    [SkippableFact]
    public async Task MemoryAndFirstStageOptions_RoundTripOverRestAndGrpc_ReportBytesPerItem_AndRefuseBadValuesNamingTheField()
    {
        var name = TestNames.Unique("mvopts");
        using (var created = await Server.PostJsonAsync("/v1/collections", $$$$"""
            {"name":"{{{{name}}}}","spaces":[
              {"name":"pq","dimension":{{{{Dimension}}}},"metric":"METRIC_INNER_PRODUCT","model":{"name":"m","version":"1"},"kind":"SPACE_KIND_MULTI",
               "multiVector":{"muvera":{"seed":"5"},"tokenPrecision":"TOKEN_PRECISION_INT8","fdePq":{"dimsPerCode":8,"trainItems":256}}},
              {"name":"tok","dimension":{{{{Dimension}}}},"metric":"METRIC_INNER_PRODUCT","model":{"name":"m","version":"1"},"kind":"SPACE_KIND_MULTI",
               "multiVector":{"muvera":{"seed":"5"},"tokenPrecision":"TOKEN_PRECISION_FLOAT16","firstStage":"FIRST_STAGE_TOKENS",
                              "tokenFirstStage":{"lists":4,"probes":2,"neighbours":8,"trainItems":20}}}]}
            """))
        {
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        var documents = Enumerable.Range(0, 30).Select(i => Vectors.Random(3 + (i % 5), Dimension, seed: 300 + i)).ToList();
        var upsert = new UpsertItemsRequest { Collection = name };
        upsert.Items.Add(documents.Select((rows, i) => new Item { Id = $"d{i}", Vectors = { ["pq"] = Rows(rows), ["tok"] = Rows(rows) } }));
        await Server.Items.UpsertItemsAsync(upsert);

        var collection = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name });
        var pq = collection.Spaces.Single(s => s.Name == "pq").MultiVector;
        Assert.Equal((TokenPrecision.Int8, 8, 256, FirstStage.Fde), (pq.TokenPrecision, pq.FdePq.DimsPerCode, pq.FdePq.TrainItems, pq.FirstStage));
        var tok = collection.Spaces.Single(s => s.Name == "tok").MultiVector;
        Assert.Equal((TokenPrecision.Float16, FirstStage.Tokens), (tok.TokenPrecision, tok.FirstStage));
        Assert.Equal((4, 2, 8, 20), (tok.TokenFirstStage.Lists, tok.TokenFirstStage.Probes, tok.TokenFirstStage.Neighbours, tok.TokenFirstStage.TrainItems));

        // Bytes per item: 30 items of 5 tokens on average. PQ space not trained yet (30 < 256): float32 FDEs of
        // 20·2^4·8 = 2560 dims; int8 tokens 8 + 4 bytes each. Token space trained (30 ≥ 20): no FDE, float16 tokens 16
        // bytes each, its index 16 + 8 per token.
        var tokens = documents.Average(d => d.Length);
        var pqStats = collection.MultiVectorStats.Single(s => s.Space == "pq");
        Assert.Equal((false, 4.0 * 2560), (pqStats.FdeCodesTrained, pqStats.FdeBytesPerItem));
        Assert.Equal(tokens * 12, pqStats.TokenBytesPerItem, 1e-9);
        var tokStats = collection.MultiVectorStats.Single(s => s.Space == "tok");
        Assert.Equal((true, 0.0), (tokStats.TokenIndexTrained, tokStats.FdeBytesPerItem));
        Assert.Equal(tokens * 16, tokStats.TokenBytesPerItem, 1e-9);
        Assert.Equal(tokens * 24, tokStats.TokenIndexBytesPerItem, 1e-9);

        // REST reads show the same options and figures, in proto JSON names.
        using (var get = await Server.Rest.GetAsync(new Uri($"/v1/collections/{name}", UriKind.Relative)))
        {
            var body = await get.Content.ReadAsStringAsync();
            Assert.Contains("\"tokenPrecision\":\"TOKEN_PRECISION_INT8\"", body);
            Assert.Contains("\"firstStage\":\"FIRST_STAGE_TOKENS\"", body);
            Assert.Contains("\"tokenIndexTrained\":true", body);
        }

        var query = Vectors.Random(3, Dimension, seed: 9);
        var viaTokens = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Space = "tok", Vector = Rows(query), K = 5 });
        var exact = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Space = "tok", Vector = Rows(query), K = 5, Exact = true });
        Assert.Equal(5, viaTokens.Hits.Count);
        Assert.Equal(exact.Hits[0].Id, viaTokens.Hits[0].Id);

        // gRPC create with the same options round-trips them.
        var grpcName = TestNames.Unique("mvoptsgrpc");
        await Server.Collections.CreateCollectionAsync(new CreateCollectionRequest { Name = grpcName, Spaces = { collection.Spaces.Select(s => new Space(s)) } });
        var copy = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = grpcName });
        Assert.Equal(collection.Spaces.Select(s => s.MultiVector), copy.Spaces.Select(s => s.MultiVector));

        using (var refused = await Server.PostJsonAsync("/v1/collections", $$$$"""
            {"name":"{{{{name}}}}-bad","spaces":[{"name":"pq","dimension":{{{{Dimension}}}},"metric":"METRIC_INNER_PRODUCT","model":{"name":"m","version":"1"},
              "kind":"SPACE_KIND_MULTI","multiVector":{"fdePq":{"dimsPerCode":7}}}]}
            """))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("multiVector.fdePq.dimsPerCode", await refused.Content.ReadAsStringAsync());
        }

        var bad = new Space(collection.Spaces.Single(s => s.Name == "tok")) { Index = "HNSW16" };
        var error = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(() => Server.Collections.CreateCollectionAsync(new CreateCollectionRequest { Name = $"{name}-bad2", Spaces = { bad } }).ResponseAsync);
        Assert.Equal(global::Grpc.Core.StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("index", error.Status.Detail);
    }

    private static Vector Rows(float[][] rows)
    {
        var vector = new Vector();
        vector.Rows.Add(rows.Select(r => new Vector { Values = { r } }));
        return vector;
    }

    private static double Chamfer(float[][] query, float[][] document) =>
        query.Sum(q => document.Max(p => q.Zip(p, (a, b) => (double)a * b).Sum()));
}

public sealed class SqliteMultiVectorApiTests(SqliteServerFixture fixture) : MultiVectorApiTests<SqliteServerFixture>(fixture);

public sealed class PostgresMultiVectorApiTests(PostgresServerFixture fixture) : MultiVectorApiTests<PostgresServerFixture>(fixture);
