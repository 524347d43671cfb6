using System.Net;
using System.Text.Json;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// Model-upgrade migrations through the real API, on each store: the whole lifecycle, mixed search with hit paths,
/// writes during backfill, cutover, retire, rollback, and illegal transitions.
/// </summary>
public abstract class MigrationsApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private InProcessServer Server => fixture.Server;

    [SkippableFact]
    public async Task Lifecycle_PlanToRetire_MixedSearchThenNewSpaceBecomesDefault()
    {
        var scenario = new MigrationScenario(items: 300, anchors: 100, seed: 31);
        var name = await scenario.CreateAsync(Server.Collections, Server.Items, "mig-e2e");

        // Plan and fit over REST, the rest over gRPC: both surfaces reach the same state machine.
        using var planned = await PostAsync($"/v1/collections/{name}/migrations", """{"id":"up","toSpace":"new","settings":{"mapKind":"MAP_KIND_ORTHOGONAL","seed":3},"actor":"rest-test"}""");
        Assert.Equal("MIGRATION_PHASE_PLANNED", planned.RootElement.GetProperty("phase").GetString());
        Assert.Equal("old", planned.RootElement.GetProperty("fromSpace").GetString());
        using var fitted = await PostAsync($"/v1/collections/{name}/migrations/up:fit", "{}");
        Assert.Equal("MIGRATION_PHASE_FITTED", fitted.RootElement.GetProperty("phase").GetString());
        Assert.Equal(100, fitted.RootElement.GetProperty("anchors").GetInt32());
        var calibration = fitted.RootElement.GetProperty("calibration");
        Assert.True(calibration.GetProperty("correlation").GetDouble() > 0.9, calibration.ToString());

        var evaluation = new MapEvaluationSet();
        for (var q = 0; q < 20; q++)
        {
            evaluation.Queries.Add(new EvaluationQuery { NewVector = MigrationScenario.Vector(scenario.New[q]), OldVector = MigrationScenario.Vector(scenario.Old[q]), RelevantIds = { MigrationScenario.Id(q) } });
        }

        var evaluated = await Server.Migrations.EvaluateMigrationAsync(new EvaluateMigrationRequest { Collection = name, Id = "up", Evaluation = evaluation });
        Assert.Equal(MigrationPhase.Evaluated, evaluated.Phase);
        Assert.Equal(GateOutcome.Passed, evaluated.Evaluation.Gate);
        // Only the anchors hold a new vector yet: new→new would rank a different, smaller gallery, so it is absent.
        Assert.Null(evaluated.Evaluation.Evaluation.NewToNew);

        var active = await Server.Migrations.ActivateMigrationAsync(new ActivateMigrationRequest { Collection = name, Id = "up" });
        Assert.Equal(MigrationPhase.Active, active.Phase);
        Assert.Equal(MapState.Active, (await Server.Maps.GetMapAsync(new GetMapRequest { Collection = name, Id = active.MapId })).State);

        // Active: anchors answer natively, the other items through the map; every item is found by its own new vector.
        var probe = scenario.New[250];
        var mixed = await SearchAsync(name, "new", probe, 10);
        Assert.Equal(MigrationScenario.Id(250), mixed.Hits[0].Id);
        Assert.Equal("mapped", mixed.Hits[0].Path);
        Assert.Contains(active.MapId, mixed.MapsUsed);
        var anchorHit = (await SearchAsync(name, "new", scenario.New[5], 10)).Hits[0];
        Assert.Equal((MigrationScenario.Id(5), "native"), (anchorHit.Id, anchorHit.Path));

        // Progress and map usage are on /metrics (Prometheus text) while the migration is open.
        // Progress gauges are read at scrape time. (Counters reach the exporter on its own schedule; not asserted here.)
        var metrics = await Server.Rest.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        // Anchored at the line start: the series name is exactly retrieval_migration_items (no doubled meter prefix).
        Assert.Contains($"\nretrieval_migration_items{{collection=\"{name}\",migration=\"up\",state=\"missing\"}} 200", "\n" + metrics, StringComparison.Ordinal);

        var backfilling = await Server.Migrations.StartBackfillAsync(new StartBackfillRequest { Collection = name, Id = "up" });
        Assert.Equal(MigrationPhase.Backfilling, backfilling.Phase);
        await scenario.StreamBackfillAsync(Server.Migrations, name, "up", 100, 200, batch: 40);

        // Writes during backfill: only-new gets its old vector through the map; only-old gets a derived new vector.
        var onlyNew = Vectors.Random(1, MigrationScenario.Dimension, seed: 91)[0];
        var onlyOld = Vectors.Random(1, MigrationScenario.Dimension, seed: 92)[0];
        await UpsertAsync(name, ("fresh-new", "new", onlyNew), ("fresh-old", "old", onlyOld));
        var got = await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { "fresh-new", "fresh-old" }, WithVectors = true });
        Assert.All(got.Items, item => Assert.Equal(["new", "old"], item.Vectors.Keys.Order()));

        var status = await Server.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = name, Id = "up" });
        Assert.Equal((100L, 1L, 1L, "200"), (status.Backfilled, status.MappedOnWrite, status.DerivedOnWrite, status.ClientCheckpoint));
        Assert.Equal((302L, 201L, 1L, 100L), (status.Progress.TotalItems, status.Progress.NativeItems, status.Progress.DerivedItems, status.Progress.MissingNewItems));
        Assert.Equal(["planned", "fitted", "evaluated", "active", "backfilling"], status.Events.Select(e => PhaseName(e.ToPhase)));
        Assert.Equal("rest-test", status.Events[0].Actor);

        // Cutover is refused while items lack a new vector, and names the count.
        var early = await Assert.ThrowsAsync<RpcException>(() => Server.Migrations.CutoverMigrationAsync(new MigrationActionRequest { Collection = name, Id = "up" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);
        Assert.Contains("100 items", early.Status.Detail, StringComparison.Ordinal);

        await scenario.StreamBackfillAsync(Server.Migrations, name, "up", 200, 300, batch: 64);

        // Every item holds a new vector now, but fresh-old's was derived through the inverse map: still no new→new.
        var fit = new FitMapRequest { Collection = name, FromSpace = "new", ToSpace = "old", Kind = MapKind.Orthogonal, Evaluation = evaluation };
        Assert.Null((await Server.Maps.FitMapAsync(fit)).Map.Report.Evaluation.NewToNew);
        await UpsertAsync(name, ("fresh-old", "new", Vectors.Random(1, MigrationScenario.Dimension, seed: 93)[0]));
        var newToNew = (await Server.Maps.FitMapAsync(fit)).Map.Report.Evaluation.NewToNew;
        Assert.NotNull(newToNew);
        Assert.True(newToNew.RecallAt10 > 0.9, newToNew.ToString());
        var cutOver = await Server.Migrations.CutoverMigrationAsync(new MigrationActionRequest { Collection = name, Id = "up" });
        Assert.Equal((MigrationPhase.CutOver, "old"), (cutOver.Phase, cutOver.PreviousDefaultSpace));
        Assert.Equal("new", (await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name })).DefaultSpace);

        // After cutover a search without a space is a native new-space search.
        var byDefault = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Vector = MigrationScenario.Vector(probe), K = 3 });
        Assert.Equal(MigrationScenario.Id(250), byDefault.Hits[0].Id);
        Assert.Equal("", byDefault.Hits[0].Path);

        var retired = await Server.Migrations.RetireMigrationAsync(new MigrationActionRequest { Collection = name, Id = "up" });
        Assert.Equal(MigrationPhase.Retired, retired.Phase);
        var collection = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name });
        Assert.Equal(["new"], collection.Spaces.Select(s => s.Name));
        Assert.Equal(MapState.Retired, (await Server.Maps.GetMapAsync(new GetMapRequest { Collection = name, Id = active.MapId })).State);
        var after = await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { MigrationScenario.Id(0) }, WithVectors = true });
        Assert.Equal(["new"], after.Items[0].Vectors.Keys);

        // Retire is idempotent; the list shows the closed migration.
        Assert.Equal(MigrationPhase.Retired, (await Server.Migrations.RetireMigrationAsync(new MigrationActionRequest { Collection = name, Id = "up" })).Phase);
        Assert.Equal(["up"], (await Server.Migrations.ListMigrationsAsync(new ListMigrationsRequest { Collection = name })).Migrations.Select(m => m.Id));
    }

    [SkippableFact]
    public async Task Rollback_AfterCutover_RestoresOldResultsExactly()
    {
        var scenario = new MigrationScenario(items: 120, anchors: 60, seed: 41);
        var name = await scenario.CreateAsync(Server.Collections, Server.Items, "mig-rollback");
        var queries = Vectors.Random(5, MigrationScenario.Dimension, seed: 42);
        var before = new List<SearchResponse>();
        foreach (var query in queries)
        {
            before.Add(await Server.Search.SearchAsync(new SearchRequest { Collection = name, Vector = MigrationScenario.Vector(query), K = 10 }));
        }

        await MigrationScenario.StartAsync(Server.Migrations, name, "r1");
        await scenario.StreamBackfillAsync(Server.Migrations, name, "r1", 60, 120, batch: 30);
        await Server.Migrations.PauseMigrationAsync(new MigrationActionRequest { Collection = name, Id = "r1" });
        await Server.Migrations.ResumeMigrationAsync(new MigrationActionRequest { Collection = name, Id = "r1" });
        await Server.Migrations.CutoverMigrationAsync(new MigrationActionRequest { Collection = name, Id = "r1" });

        var rolledBack = await Server.Migrations.RollbackMigrationAsync(new MigrationActionRequest { Collection = name, Id = "r1" });
        Assert.Equal(MigrationPhase.RolledBack, rolledBack.Phase);
        Assert.Equal("old", (await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name })).DefaultSpace);
        for (var q = 0; q < queries.Length; q++)
        {
            var again = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Vector = MigrationScenario.Vector(queries[q]), K = 10 });
            Assert.Equal(before[q].Hits.Select(h => (h.Id, h.Score, h.Path)), again.Hits.Select(h => (h.Id, h.Score, h.Path)));
        }

        // Closed: a new migration of the same space may be planned.
        var next = await Server.Migrations.PlanMigrationAsync(new PlanMigrationRequest { Collection = name, Id = "r2", ToSpace = "new" });
        Assert.Equal(MigrationPhase.Planned, next.Phase);
    }

    [SkippableFact]
    public async Task IllegalTransitions_AreFailedPreconditionNamingThePhase()
    {
        var scenario = new MigrationScenario(items: 60, anchors: 40, seed: 51);
        var name = await scenario.CreateAsync(Server.Collections, Server.Items, "mig-illegal");
        await Server.Migrations.PlanMigrationAsync(new PlanMigrationRequest { Collection = name, Id = "p", ToSpace = "new" });

        await AssertPreconditionAsync(Server.Migrations.CutoverMigrationAsync(new MigrationActionRequest { Collection = name, Id = "p" }).ResponseAsync, "phase planned");
        await AssertPreconditionAsync(Server.Migrations.ActivateMigrationAsync(new ActivateMigrationRequest { Collection = name, Id = "p" }).ResponseAsync, "phase planned");
        await AssertPreconditionAsync(Server.Migrations.RetireMigrationAsync(new MigrationActionRequest { Collection = name, Id = "p" }).ResponseAsync, "phase planned");
        await AssertPreconditionAsync(Server.Migrations.PlanMigrationAsync(new PlanMigrationRequest { Collection = name, Id = "q", ToSpace = "new" }).ResponseAsync, "still open");
        var backfill = new BackfillVectorsRequest { Collection = name, Id = "p", Vectors = { new BackfillVector { Id = MigrationScenario.Id(50), Vector = MigrationScenario.Vector(scenario.New[50]) } } };
        await AssertPreconditionAsync(Server.Migrations.BackfillVectorsAsync(backfill).ResponseAsync, "phase planned");
        await AssertPreconditionAsync(Server.Collections.DeleteSpaceAsync(new DeleteSpaceRequest { Collection = name, Space = "new" }).ResponseAsync, "open migration");

        await Server.Migrations.FitMigrationAsync(new FitMigrationRequest { Collection = name, Id = "p" });
        await Server.Migrations.ActivateMigrationAsync(new ActivateMigrationRequest { Collection = name, Id = "p" });
        // Repeating a reached transition is a no-op; going back is not.
        Assert.Equal(MigrationPhase.Active, (await Server.Migrations.ActivateMigrationAsync(new ActivateMigrationRequest { Collection = name, Id = "p" })).Phase);
        await AssertPreconditionAsync(Server.Migrations.FitMigrationAsync(new FitMigrationRequest { Collection = name, Id = "p" }).ResponseAsync, "phase active");
        await AssertPreconditionAsync(Server.Migrations.PauseMigrationAsync(new MigrationActionRequest { Collection = name, Id = "p" }).ResponseAsync, "phase active");

        var missing = await Assert.ThrowsAsync<RpcException>(() => Server.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = name, Id = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        // REST maps FAILED_PRECONDITION to 400 with the message.
        using var response = await Server.PostJsonAsync($"/v1/collections/{name}/migrations/p:retire", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("phase active", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ConcurrentWrites_DuringBackfill_EveryItemEndsWithBothVectors()
    {
        var scenario = new MigrationScenario(items: 400, anchors: 80, seed: 61);
        var name = await scenario.CreateAsync(Server.Collections, Server.Items, "mig-concurrent");
        await MigrationScenario.StartAsync(Server.Migrations, name, "c");

        var writer = Task.Run(async () =>
        {
            var random = new Random(62);
            for (var round = 0; round < 30; round++)
            {
                // Updates of backfilled and not yet backfilled items with one space only, plus new items.
                var i = random.Next(80, 400);
                var x = Vectors.Random(1, MigrationScenario.Dimension, seed: 1000 + round)[0];
                var space = round % 2 == 0 ? "old" : "new";
                await UpsertAsync(name, (MigrationScenario.Id(i), space, x), ($"extra-{round}", space == "old" ? "new" : "old", x));
            }
        });
        await scenario.StreamBackfillAsync(Server.Migrations, name, "c", 80, 400, batch: 25);
        await writer;

        var all = new List<Item>();
        string? cursor = null;
        do
        {
            var page = await Server.Items.ScrollItemsAsync(new ScrollItemsRequest { Collection = name, Limit = 500, Cursor = cursor ?? "", WithVectors = true });
            all.AddRange(page.Items);
            cursor = string.IsNullOrEmpty(page.NextCursor) ? null : page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(430, all.Count);
        Assert.All(all, item => Assert.True(item.Vectors.ContainsKey("old") && item.Vectors.ContainsKey("new"), $"{item.Id} lacks a space"));
        var cutOver = await Server.Migrations.CutoverMigrationAsync(new MigrationActionRequest { Collection = name, Id = "c" });
        Assert.Equal(0, cutOver.Progress.MissingNewItems);
    }

    private static string PhaseName(MigrationPhase phase) => phase.ToString().ToLowerInvariant();

    private static async Task AssertPreconditionAsync<T>(Task<T> call, string expected)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains(expected, error.Status.Detail, StringComparison.Ordinal);
    }

    private async Task UpsertAsync(string collection, params (string Id, string Space, float[] Vector)[] items)
    {
        var request = new UpsertItemsRequest { Collection = collection };
        foreach (var (id, space, vector) in items)
        {
            var item = new Item { Id = id };
            item.Vectors.Add(space, MigrationScenario.Vector(vector));
            request.Items.Add(item);
        }

        await Server.Items.UpsertItemsAsync(request);
    }

    private async Task<SearchResponse> SearchAsync(string collection, string space, float[] vector, int k) =>
        await Server.Search.SearchAsync(new SearchRequest { Collection = collection, Space = space, Vector = MigrationScenario.Vector(vector), K = k });

    private async Task<JsonDocument> PostAsync(string path, string body)
    {
        using var response = await Server.PostJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {path}: HTTP {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text);
    }
}

public sealed class SqliteMigrationsApiTests(SqliteServerFixture fixture) : MigrationsApiTests<SqliteServerFixture>(fixture);

public sealed class PostgresMigrationsApiTests(PostgresServerFixture fixture) : MigrationsApiTests<PostgresServerFixture>(fixture);
