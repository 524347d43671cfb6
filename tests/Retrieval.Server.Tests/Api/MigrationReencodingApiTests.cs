using System.Net;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Retrieval.Contracts.V1;
using Retrieval.Engine;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// A model upgrade with server-side re-encoding (backfill source b), through the real API on each store: two tiny
/// ONNX text encoders as v1 and v2, raw inputs stored per item; the worker re-encodes every stored v1 text with v2,
/// writes during the migration get their v2 vector from the v2 encoder, the item without a text is left for the client,
/// and cutover waits for it.
/// </summary>
public abstract class MigrationReencodingApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private InProcessServer Server => fixture.Server;

    [SkippableFact]
    public async Task Reencoding_PlanToCutover_EveryStoredTextGetsItsNewEncoderVector()
    {
        var scenario = new ReencodingScenario(items: 90, anchors: 30, seed: 5);
        var name = await scenario.CreateAsync(Server.Encoders, Server.Collections, Server.Items, "mig-reencode");

        // The encoder must be the new space's own.
        await AssertPreconditionAsync(
            Server.Migrations.PlanMigrationAsync(new PlanMigrationRequest { Collection = name, Id = "x", ToSpace = "v2", Encoder = scenario.OldEncoder }).ResponseAsync,
            $"bound to encoder '{scenario.NewEncoder}'");

        using var planned = await PostAsync($"/v1/collections/{name}/migrations", $$"""{"id":"re","toSpace":"v2","encoder":"{{scenario.NewEncoder}}"}""");
        Assert.Equal(scenario.NewEncoder, planned.RootElement.GetProperty("encoder").GetString());
        await Server.Migrations.FitMigrationAsync(new FitMigrationRequest { Collection = name, Id = "re" });
        await Server.Migrations.ActivateMigrationAsync(new ActivateMigrationRequest { Collection = name, Id = "re", Force = true });

        // Writes while the migration is open: a v1 text gets its v2 vector from the v2 encoder (native, not derived) ...
        var fresh = new Item { Id = "fresh" };
        fresh.Inputs.Add("v1", ReencodingScenario.Text("a red car sat on the mat"));
        await Server.Items.UpsertItemsAsync(new UpsertItemsRequest { Collection = name, Items = { fresh } });
        // ... an update repeating an item's stored v1 vector re-encodes the text stored for it, and keeps that text ...
        var repeated = ReencodingScenario.Id(40);
        var current = (await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { repeated }, WithVectors = true })).Items[0];
        var update = new Item { Id = repeated, Payload = new Google.Protobuf.WellKnownTypes.Struct { Fields = { ["n"] = Google.Protobuf.WellKnownTypes.Value.ForString("updated") } } };
        update.Vectors.Add("v1", current.Vectors["v1"]);
        await Server.Items.UpsertItemsAsync(new UpsertItemsRequest { Collection = name, Items = { update } });
        // ... and a plain v1 vector without any text falls back to the inverse map (derived).
        var plain = new Item { Id = "plain" };
        plain.Vectors.Add("v1", new Vector { Values = { 0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f } });
        await Server.Items.UpsertItemsAsync(new UpsertItemsRequest { Collection = name, Items = { plain } });

        var written = await Server.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = name, Id = "re" });
        Assert.Equal((1L, 1L), (written.DerivedOnWrite, written.Backfilled));
        var expectedFresh = await scenario.EncodeNewAsync(Server.Encoders, ["a red car sat on the mat", scenario.Texts[40]]);
        var got = await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { "fresh", repeated }, WithVectors = true });
        AssertClose(expectedFresh[0], got.Items.Single(i => i.Id == "fresh").Vectors["v2"].Values);
        AssertClose(expectedFresh[1], got.Items.Single(i => i.Id == repeated).Vectors["v2"].Values);
        var engine = Server.Services.GetRequiredService<RetrievalEngine>();
        Assert.True((await engine.ReadRawInputsAsync(name, "v1", [repeated], CancellationToken.None)).ContainsKey(repeated), "the repeated vector's text must stay stored");

        // The worker re-encodes the rest; the item without text and the derived one are left for the client.
        await Server.Migrations.StartBackfillAsync(new StartBackfillRequest { Collection = name, Id = "re" });
        var done = await WaitForWorkerAsync(name, "re");
        Assert.Equal(scenario.ToReencode, done.Backfilled);
        Assert.Equal((2L, 1L, 1L), (done.Progress.LeftForClientItems, done.Progress.MissingNewItems, done.Progress.DerivedItems));

        var ids = Enumerable.Range(scenario.Anchors, scenario.ToReencode).Select(ReencodingScenario.Id).ToList();
        var expected = await scenario.EncodeNewAsync(Server.Encoders, scenario.Texts.Skip(scenario.Anchors));
        var items = (await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { ids }, WithVectors = true })).Items.ToDictionary(i => i.Id);
        for (var k = 0; k < ids.Count; k++)
        {
            AssertClose(expected[k], items[ids[k]].Vectors["v2"].Values);
        }

        // The texts are kept for v2 as well, so a later migration from v2 (after v1 retires) can re-encode again.
        Assert.Equal(ids.Count, (await engine.ReadRawInputsAsync(name, "v2", ids, CancellationToken.None)).Count);

        // Cutover waits for the client's part.
        await AssertPreconditionAsync(Server.Migrations.CutoverMigrationAsync(new MigrationActionRequest { Collection = name, Id = "re" }).ResponseAsync, "1 items have no vector in space 'v2'");
        await Server.Migrations.BackfillVectorsAsync(new BackfillVectorsRequest
        {
            Collection = name,
            Id = "re",
            Vectors =
            {
                new BackfillVector { Id = ReencodingScenario.NoInputId, Vector = new Vector { Values = { 1, 0, 0, 0, 0, 0 } } },
                new BackfillVector { Id = "plain", Vector = new Vector { Values = { 0, 1, 0, 0, 0, 0 } } },
            },
        });
        var cutOver = await Server.Migrations.CutoverMigrationAsync(new MigrationActionRequest { Collection = name, Id = "re" });
        Assert.Equal((MigrationPhase.CutOver, 0L, 0L), (cutOver.Phase, cutOver.Progress.MissingNewItems, cutOver.Progress.LeftForClientItems));

        // v2 is the default space now: a text query is encoded by v2 and finds its item natively.
        using var search = await PostAsync($"/v1/collections/{name}:search", $$"""{"input":{"text":"{{scenario.Texts[70]}}"},"k":5}""");
        var hits = search.RootElement.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("id").GetString()).ToList();
        Assert.Contains(ReencodingScenario.Id(70), hits);
    }

    [SkippableFact]
    public async Task Reencoding_NeedsStoredInputs_AndDenseSpaces()
    {
        var scenario = new ReencodingScenario(items: 12, anchors: 8, seed: 6);
        var name = await scenario.CreateAsync(Server.Encoders, Server.Collections, Server.Items, "mig-noinputs", storeInputs: false);
        await AssertPreconditionAsync(
            Server.Migrations.PlanMigrationAsync(new PlanMigrationRequest { Collection = name, ToSpace = "v2", Encoder = scenario.NewEncoder }).ResponseAsync,
            "without storeInputs");

        // Multi-vector spaces take no part in migrations (maps join dense spaces): refused naming the field.
        await Server.Collections.AddSpaceAsync(new AddSpaceRequest
        {
            Collection = name,
            Space = new Space { Name = "tokens", Dimension = 4, Metric = Metric.InnerProduct, Kind = SpaceKind.Multi, Model = new ModelRef { Name = "colbert", Version = "1" } },
        });
        var multi = await Assert.ThrowsAsync<RpcException>(() => Server.Migrations.PlanMigrationAsync(new PlanMigrationRequest { Collection = name, ToSpace = "tokens" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, multi.StatusCode);
        Assert.Contains("toSpace", multi.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("multi-vector", multi.Status.Detail, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task MixedSearchHits_AreCountedOnMetricsByPath()
    {
        var scenario = new ReencodingScenario(items: 40, anchors: 20, seed: 7);
        var name = await scenario.CreateAsync(Server.Encoders, Server.Collections, Server.Items, "mig-hits");
        await Server.Migrations.PlanMigrationAsync(new PlanMigrationRequest { Collection = name, Id = "h", ToSpace = "v2" });
        await Server.Migrations.FitMigrationAsync(new FitMigrationRequest { Collection = name, Id = "h" });
        await Server.Migrations.ActivateMigrationAsync(new ActivateMigrationRequest { Collection = name, Id = "h", Force = true });

        // Anchors are native in v2, the other items are reached through the map: one search sees both paths.
        var query = (await scenario.EncodeNewAsync(Server.Encoders, [scenario.Texts[0]]))[0];
        var result = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Space = "v2", Vector = new Vector { Values = { query } }, K = 30 });
        var native = result.Hits.Count(h => h.Path == "native");
        var mapped = result.Hits.Count(h => h.Path == "mapped");
        Assert.Equal(30, native + mapped);
        Assert.True(native > 0 && mapped > 0, $"native {native}, mapped {mapped}");

        // The exporter publishes counter updates on its own schedule: poll until the series carry exactly these hits.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var metrics = await Server.Rest.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            Assert.True(DateTime.UtcNow < deadline, "no such hits on /metrics within 30 s:\n" + string.Join('\n', metrics.Split('\n').Where(l => l.Contains("mixed", StringComparison.Ordinal))));
            var (n, m) = (HitCount(metrics, name, "native"), HitCount(metrics, name, "mapped"));
            if ((n, m) == (native, mapped))
            {
                break;
            }

            Assert.True(n <= native && m <= mapped, $"counted more hits than returned: native {n}/{native}, mapped {m}/{mapped}");
            await Task.Delay(200);
        }
    }

    /// <summary>The value of retrieval_mixed_search_hits for a collection and path (0 while the series is absent).</summary>
    private static long HitCount(string metrics, string collection, string path)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith("retrieval_mixed_search_hits", StringComparison.Ordinal)
                && line.Contains($"collection=\"{collection}\"", StringComparison.Ordinal) && line.Contains($"path=\"{path}\"", StringComparison.Ordinal))
            {
                return long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>Polls until the worker has nothing left: every item is native or left for the client.</summary>
    private async Task<Migration> WaitForWorkerAsync(string collection, string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (true)
        {
            var migration = await Server.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = collection, Id = id }, cancellationToken: timeout.Token);
            var p = migration.Progress;
            if (p.MissingNewItems + p.DerivedItems == p.LeftForClientItems)
            {
                return migration;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    private static void AssertClose(float[] expected, IEnumerable<float> actual)
    {
        var values = actual.ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (var j = 0; j < expected.Length; j++)
        {
            Assert.True(Math.Abs(expected[j] - values[j]) < 1e-5, $"component {j}: expected {expected[j]}, got {values[j]}");
        }
    }

    private static async Task AssertPreconditionAsync<T>(Task<T> call, string expected)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains(expected, error.Status.Detail, StringComparison.Ordinal);
    }

    private async Task<JsonDocument> PostAsync(string path, string body)
    {
        using var response = await Server.PostJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {path}: HTTP {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text);
    }
}

public sealed class SqliteMigrationReencodingApiTests(SqliteServerFixture fixture) : MigrationReencodingApiTests<SqliteServerFixture>(fixture);

public sealed class PostgresMigrationReencodingApiTests(PostgresServerFixture fixture) : MigrationReencodingApiTests<PostgresServerFixture>(fixture);
