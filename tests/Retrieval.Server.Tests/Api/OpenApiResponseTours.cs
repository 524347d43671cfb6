using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google.Protobuf;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Onnx;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// REST tours through every operation of the served document, each response checked against its operation's schema by
/// <see cref="ResponseRoundTrip"/>. Small data, so the whole set runs in seconds; what the answers mean is asserted by
/// the API tests of each area, these only touch what the next call needs.
/// </summary>
internal static class OpenApiResponseTours
{
    /// <summary>Collections, spaces, indexes, items, search, and the refusals (the <c>default</c> error schema).</summary>
    public static async Task CollectionsAndItemsAsync(ResponseRoundTrip trip, string name)
    {
        var c = $"/v1/collections/{name}";
        await trip.CallAsync(HttpMethod.Get, "/v1/server");
        await trip.CallAsync(HttpMethod.Post, "/v1/collections",
            $$$"""{"name":"{{{name}}}","spaces":[{"name":"v1","dimension":3,"metric":"METRIC_COSINE","model":{"name":"m","version":"1"}}]}""");
        await trip.CallAsync(HttpMethod.Get, "/v1/collections");
        await trip.CallAsync(HttpMethod.Post, $"{c}/spaces", """{"name":"v2","dimension":2,"metric":"METRIC_L2","model":{"name":"m2"}}""");
        await trip.CallAsync(HttpMethod.Post, $"{c}/items:upsert",
            """{"items":[{"id":"a","payload":{"color":"red","n":1},"vectors":{"v1":{"values":[1,0,0]},"v2":{"values":[1,2]}}},{"id":"b","vectors":{"v1":{"values":[0,1,0]}}}]}""");
        await trip.CallAsync(HttpMethod.Post, $"{c}/items:get", """{"ids":["a","b"],"withVectors":true}""");
        await trip.CallAsync(HttpMethod.Post, $"{c}/items:scroll", """{"limit":1}""");
        await trip.CallAsync(HttpMethod.Post, $"{c}/items:count", """{"filter":{"must":[{"key":"color","match":{"value":"red"}}]}}""");
        await trip.CallAsync(HttpMethod.Post, $"{c}:search", """{"vector":{"values":[1,0,0]},"k":2,"withPayload":true,"withVectors":true}""");
        await trip.CallAsync(HttpMethod.Post, $"{c}:searchBatch", """{"searches":[{"vector":{"values":[1,0,0]},"k":1}]}""");
        await trip.CallAsync(HttpMethod.Post, $"{c}/spaces/v1:setIndex", """{"index":"HNSW16"}""");
        await trip.CallAsync(HttpMethod.Get, $"{c}/spaces/v1/index");
        await trip.CallAsync(HttpMethod.Post, $"{c}:setDefaultSpace", """{"space":"v1"}""");
        await trip.CallAsync(HttpMethod.Get, c);
        await trip.CallAsync(HttpMethod.Post, $"{c}/items:delete", """{"ids":["b"]}""");
        await trip.CallAsync(HttpMethod.Delete, $"{c}/spaces/v2");
        await trip.CallAsync(HttpMethod.Post, $"{c}/items:upsert", """{"items":[{"id":"x","vectors":{"v1":{"values":[1,0]}}}]}""", HttpStatusCode.BadRequest);
        await trip.CallAsync(HttpMethod.Post, $"{c}:search", """{"vector":{"values":[1,0,0]},"k":1,"limt":3}""", HttpStatusCode.BadRequest);
        await trip.CallAsync(HttpMethod.Get, "/v1/collections/no-such-collection", expected: HttpStatusCode.NotFound);
        await trip.CallAsync(HttpMethod.Delete, c);
    }

    /// <summary>Aliases: create, switch, list, delete.</summary>
    public static async Task AliasesAsync(ResponseRoundTrip trip, string first, string second)
    {
        foreach (var name in new[] { first, second })
        {
            await trip.CallAsync(HttpMethod.Post, "/v1/collections",
                $$$"""{"name":"{{{name}}}","spaces":[{"name":"v1","dimension":2,"metric":"METRIC_L2","model":{"name":"m"}}]}""");
        }

        var alias = first + "-live";
        await trip.CallAsync(HttpMethod.Post, "/v1/aliases", $$$"""{"actions":[{"create":{"alias":"{{{alias}}}","collection":"{{{first}}}"}}]}""");
        await trip.CallAsync(HttpMethod.Post, "/v1/aliases", $$$"""{"actions":[{"switch":{"alias":"{{{alias}}}","collection":"{{{second}}}"}}]}""");
        await trip.CallAsync(HttpMethod.Get, $"/v1/collections/{alias}");
        await trip.CallAsync(HttpMethod.Get, "/v1/aliases");
        await trip.CallAsync(HttpMethod.Post, "/v1/aliases", $$$"""{"actions":[{"delete":{"alias":"{{{alias}}}"}}]}""");
        await trip.CallAsync(HttpMethod.Delete, $"/v1/collections/{first}");
        await trip.CallAsync(HttpMethod.Delete, $"/v1/collections/{second}");
    }

    /// <summary>API keys: create, list, rotate, revoke (they work with authentication off, as in the fixture).</summary>
    public static async Task KeysAsync(ResponseRoundTrip trip, string name)
    {
        var created = await trip.CallAsync(HttpMethod.Post, "/v1/keys",
            $$$"""{"name":"{{{name}}}","scope":"KEY_SCOPE_READ","collections":["{{{name}}}*"],"expiresInSeconds":3600}""");
        var id = created.GetProperty("key").GetProperty("id").GetString()!;
        await trip.CallAsync(HttpMethod.Get, "/v1/keys");
        var rotated = await trip.CallAsync(HttpMethod.Post, $"/v1/keys/{id}:rotate", """{"graceSeconds":60}""");
        var successor = rotated.GetProperty("key").GetProperty("id").GetString()!;
        await trip.CallAsync(HttpMethod.Post, $"/v1/keys/{successor}:revoke", "{}");
        await trip.CallAsync(HttpMethod.Post, "/v1/keys/000000000000:revoke", "{}", HttpStatusCode.NotFound);
    }

    /// <summary>Encoders: JSON and multipart upload, get, list, encode, delete.</summary>
    public static async Task EncodersAsync(ResponseRoundTrip trip, string name)
    {
        var model = new TinyTextModel(seed: 11).Model();
        var upload = new UploadEncoderRequest
        {
            Descriptor_ = Descriptor(name),
            Model = ByteString.CopyFrom(model),
            Vocabulary = ByteString.CopyFrom(TinyTextModel.VocabularyBytes),
        };
        await trip.CallAsync(HttpMethod.Post, "/v1/encoders", JsonFormatter.Default.Format(upload));

        var multipart = name + "-mp";
        using (var form = new MultipartFormDataContent
        {
            { new StringContent(JsonFormatter.Default.Format(Descriptor(multipart))), "descriptor" },
            { new ByteArrayContent(model), "model", "model.onnx" },
            { new ByteArrayContent(TinyTextModel.VocabularyBytes), "vocabulary", "vocab.txt" },
        })
        {
            form.Headers.ContentType = MediaTypeHeaderValue.Parse(form.Headers.ContentType!.ToString());
            await trip.SendAsync(HttpMethod.Post, "/v1/encoders:upload", form);
        }

        await trip.CallAsync(HttpMethod.Get, "/v1/encoders");
        await trip.CallAsync(HttpMethod.Get, $"/v1/encoders/{name}");
        await trip.CallAsync(HttpMethod.Post, $"/v1/encoders/{name}:encode", """{"inputs":[{"text":"the cat sat"},{"text":"a dog"}],"query":true}""");
        await trip.CallAsync(HttpMethod.Delete, $"/v1/encoders/{name}/versions/1");
        await trip.CallAsync(HttpMethod.Delete, $"/v1/encoders/{multipart}/versions/1");
        await trip.CallAsync(HttpMethod.Get, $"/v1/encoders/{name}", expected: HttpStatusCode.NotFound);
    }

    /// <summary>
    /// Maps (fit, get, activate, retire) and migrations through every phase: one rolled back, one planned, fitted,
    /// evaluated, activated, backfilled (paused and resumed on the way), cut over and retired.
    /// </summary>
    public static async Task MapsAndMigrationsAsync(ResponseRoundTrip trip, InProcessServer server, string prefix)
    {
        var scenario = new MigrationScenario(items: 80, anchors: 40, seed: 7);
        var name = await scenario.CreateAsync(server.Collections, server.Items, prefix);
        var c = $"/v1/collections/{name}";

        var fitted = await trip.CallAsync(HttpMethod.Post, $"{c}/maps:fit", """{"fromSpace":"new","toSpace":"old","kind":"MAP_KIND_ORTHOGONAL","heldOutFraction":0.25,"seed":1}""");
        var mapId = fitted.GetProperty("map").GetProperty("id").GetString()!;
        await trip.CallAsync(HttpMethod.Get, $"{c}/maps/{mapId}");
        await trip.CallAsync(HttpMethod.Post, $"{c}/maps/{mapId}:activate", """{"force":false}""");
        await trip.CallAsync(HttpMethod.Post, $"{c}/maps/{mapId}:retire", "{}");

        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations", """{"id":"trial","toSpace":"new","actor":"openapi"}""");
        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations/trial:rollback", "{}");
        await trip.CallAsync(HttpMethod.Get, $"{c}/migrations/trial");

        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations", """{"id":"up","toSpace":"new","settings":{"mapKind":"MAP_KIND_ORTHOGONAL","seed":3},"actor":"openapi"}""");
        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations/up:fit", "{}");
        var evaluation = new
        {
            evaluation = new
            {
                queries = Enumerable.Range(0, 10).Select(q => new
                {
                    newVector = new { values = scenario.New[q] },
                    oldVector = new { values = scenario.Old[q] },
                    relevantIds = new[] { MigrationScenario.Id(q) },
                }),
            },
        };
        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations/up:evaluate", JsonSerializer.Serialize(evaluation));
        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations/up:activate", """{"force":true}""");
        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations/up:backfill", "{}");
        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations/up:pause", "{}");
        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations/up:resume", "{}");
        var backfill = new
        {
            vectors = Enumerable.Range(scenario.Anchors, scenario.New.Length - scenario.Anchors)
                .Select(i => new { id = MigrationScenario.Id(i), vector = new { values = scenario.New[i] } })
                .Append(new { id = "deleted-since", vector = new { values = scenario.New[0] } }),
            checkpoint = "80",
        };
        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations/up:backfillVectors", JsonSerializer.Serialize(backfill));
        await trip.CallAsync(HttpMethod.Get, $"{c}/migrations/up");
        await trip.CallAsync(HttpMethod.Get, $"{c}/maps");
        await trip.CallAsync(HttpMethod.Post, $"{c}:search", JsonSerializer.Serialize(new { space = "new", vector = new { values = scenario.New[50] }, k = 3 }));
        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations/up:cutover", "{}");
        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations/up:retire", "{}");
        await trip.CallAsync(HttpMethod.Get, $"{c}/migrations");
        await trip.CallAsync(HttpMethod.Post, $"{c}/migrations/up:pause", "{}", HttpStatusCode.BadRequest);
        await trip.CallAsync(HttpMethod.Delete, c);
    }

    /// <summary>
    /// Collection snapshots: create, list, download the archive, restore it under another name, upload it as a new
    /// collection, delete; and the cluster status (cluster mode off in the fixture).
    /// </summary>
    public static async Task SnapshotsAndClusterAsync(ResponseRoundTrip trip, string name)
    {
        var c = $"/v1/collections/{name}";
        await trip.CallAsync(HttpMethod.Post, "/v1/collections",
            $$$"""{"name":"{{{name}}}","spaces":[{"name":"v1","dimension":2,"metric":"METRIC_L2","model":{"name":"m"}}]}""");
        await trip.CallAsync(HttpMethod.Post, $"{c}/items:upsert", """{"items":[{"id":"a","payload":{"n":1},"vectors":{"v1":{"values":[1,0]}}}]}""");
        var snapshot = await trip.CallAsync(HttpMethod.Post, $"{c}/snapshots", """{"name":"nightly"}""");
        Assert.Equal("nightly", snapshot.GetProperty("name").GetString());
        await trip.CallAsync(HttpMethod.Get, $"{c}/snapshots");
        var archive = await trip.CallBinaryAsync($"{c}/snapshots/nightly");

        var restored = name + "-copy";
        await trip.CallAsync(HttpMethod.Post, $"{c}/snapshots/nightly:restore", $$$"""{"target":"{{{restored}}}"}""");
        var uploaded = name + "-upload";
        using (var content = new ByteArrayContent(archive))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
            await trip.SendAsync(HttpMethod.Post, $"/v1/collections/{uploaded}/snapshots:upload", content);
        }

        await trip.CallAsync(HttpMethod.Delete, $"{c}/snapshots/nightly");
        await trip.CallAsync(HttpMethod.Post, $"{c}/snapshots/nightly:restore", $$$"""{"target":"{{{name}}}-gone"}""", HttpStatusCode.NotFound);
        foreach (var collection in new[] { name, restored, uploaded })
        {
            await trip.CallAsync(HttpMethod.Delete, $"/v1/collections/{collection}");
        }

        await trip.CallAsync(HttpMethod.Get, "/v1/cluster");
    }

    private static EncoderDescriptor Descriptor(string name) => new()
    {
        Name = name,
        Version = "1",
        Dimension = TinyTextModel.Dim,
        Metric = Metric.Cosine,
        Kind = EncoderKind.Dense,
        InputKind = InputKind.Text,
        OutputName = "last_hidden_state",
        Pooling = Pooling.Mean,
        Normalize = true,
        MaxSequenceLength = 16,
        MaxBatch = 32,
        Text = new TextSettings { QueryPrefix = "query: " },
    };
}
