using System.Globalization;
using System.Net;
using System.Text.Json;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// Compatibility maps through the real API: fit, report, activate, route searches, the gate, retirement, chains and
/// prefix-compatible spaces. Ground truth is synthetic: old = new·R (+ noise) with a random orthogonal R.
/// </summary>
public abstract class MapsApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private const int Dimension = 8;

    private InProcessServer Server => fixture.Server;

    [SkippableFact]
    public async Task FitActivateSearch_OrthogonalViaRest_RoutesNewQueriesIntoOldIndex()
    {
        var rotation = SyntheticSpaces.Orthogonal(Dimension, seed: 11);
        var name = await CreateAsync("fit", ("old", Dimension, "METRIC_INNER_PRODUCT", null), ("new", Dimension, "METRIC_INNER_PRODUCT", null));
        var noise = new Random(5);
        var items = Vectors.Random(200, Dimension, seed: 12);
        await UpsertAsync(name, items.Select((x, i) => ($"i{i}", new Dictionary<string, float[]> { ["new"] = x, ["old"] = SyntheticSpaces.Multiply(x, rotation, 1e-3, noise) })));

        using var fitted = await PostAsync($"/v1/collections/{name}/maps:fit", """{"fromSpace":"new","toSpace":"old","kind":"MAP_KIND_ORTHOGONAL","heldOutFraction":0.2,"seed":1}""");
        var map = fitted.RootElement.GetProperty("map");
        var id = map.GetProperty("id").GetString()!;
        Assert.Equal("MAP_STATE_DRAFT", map.GetProperty("state").GetString());
        var report = map.GetProperty("report");
        Assert.Equal(160, report.GetProperty("fitAnchors").GetInt32());
        Assert.Equal(40, report.GetProperty("heldOutAnchors").GetInt32());
        // Inner-product identification favours long vectors, so @1 is below 1 even for a perfect map; @10 is the check.
        Assert.True(report.GetProperty("identificationRecallAt1").GetDouble() > 0);
        Assert.True(report.GetProperty("identificationRecallAt10").GetDouble() > 0.95);
        Assert.True(report.GetProperty("meanCosine").GetDouble() > 0.999);
        Assert.True(!report.TryGetProperty("orthogonalityError", out var orthogonality) || orthogonality.GetDouble() < 1e-3);
        Assert.Equal("GATE_OUTCOME_NOT_EVALUATED", report.GetProperty("gate").GetString());
        Assert.Contains("not evaluated", report.GetProperty("gateReason").GetString(), StringComparison.Ordinal);

        using var activated = await PostAsync($"/v1/collections/{name}/maps/{id}:activate", """{"force":false}""");
        Assert.Equal("MAP_STATE_ACTIVE", activated.RootElement.GetProperty("state").GetString());

        var query = Vectors.Random(1, Dimension, seed: 13)[0];
        var routed = await SearchAsync(name, "new", "old", query, k: 5);
        var native = await SearchAsync(name, "old", "", SyntheticSpaces.Multiply(query, rotation), k: 5);
        Assert.Equal(native.Hits.Select(h => h.Id), routed.Hits.Select(h => h.Id));
        Assert.Equal([id], routed.MapsUsed);
        Assert.Empty(native.MapsUsed);

        // A second active map of the same pair retires the first, in the store and in memory.
        var second = await Server.Maps.FitMapAsync(new FitMapRequest { Collection = name, FromSpace = "new", ToSpace = "old", Kind = MapKind.CanonicalQ });
        await Server.Maps.ActivateMapAsync(new ActivateMapRequest { Collection = name, Id = second.Map.Id });
        var listed = await Server.Maps.ListMapsAsync(new ListMapsRequest { Collection = name });
        Assert.Equal([(id, MapState.Retired), (second.Map.Id, MapState.Active)], listed.Maps.Select(m => (m.Id, m.State)));
        Assert.Equal([second.Map.Id], (await SearchAsync(name, "new", "old", query, k: 5)).MapsUsed);
    }

    [SkippableFact]
    public async Task Fit_RankingAdapterViaRest_ReportsItsKindAndRoutes()
    {
        var rotation = SyntheticSpaces.Orthogonal(Dimension, seed: 31);
        var name = await CreateAsync("adapter", ("old", Dimension, "METRIC_INNER_PRODUCT", null), ("new", Dimension, "METRIC_INNER_PRODUCT", null));
        var noise = new Random(6);
        var items = Vectors.Random(200, Dimension, seed: 32);
        await UpsertAsync(name, items.Select((x, i) => ($"i{i}", new Dictionary<string, float[]> { ["new"] = x, ["old"] = SyntheticSpaces.Multiply(x, rotation, 1e-3, noise) })));

        using var fitted = await PostAsync($"/v1/collections/{name}/maps:fit", """{"fromSpace":"new","toSpace":"old","kind":"MAP_KIND_RANKING_ADAPTER","heldOutFraction":0.2,"seed":1}""");
        var map = fitted.RootElement.GetProperty("map");
        Assert.Equal("MAP_KIND_RANKING_ADAPTER", map.GetProperty("kind").GetString());
        Assert.True(map.GetProperty("report").GetProperty("identificationRecallAt10").GetDouble() > 0.95);

        var id = map.GetProperty("id").GetString()!;
        await Server.Maps.ActivateMapAsync(new ActivateMapRequest { Collection = name, Id = id });
        var routed = await SearchAsync(name, "new", "old", Vectors.Random(1, Dimension, seed: 33)[0], k: 5);
        Assert.Equal([id], routed.MapsUsed);
        Assert.Equal(5, routed.Hits.Count);
    }

    [SkippableFact]
    public async Task Fit_AutoViaRestAndGrpc_ReturnsTheChosenKindWithTheCandidateTable()
    {
        var rotation = SyntheticSpaces.Orthogonal(Dimension, seed: 51);
        var name = await CreateAsync("auto", ("old", Dimension, "METRIC_INNER_PRODUCT", null), ("new", Dimension, "METRIC_INNER_PRODUCT", null));
        var noise = new Random(7);
        var items = Vectors.Random(200, Dimension, seed: 52);
        await UpsertAsync(name, items.Select((x, i) => ($"i{i}", new Dictionary<string, float[]> { ["new"] = x, ["old"] = SyntheticSpaces.Multiply(x, rotation, 1e-3, noise) })));

        // REST, every default candidate within a generous budget.
        using var fitted = await PostAsync($"/v1/collections/{name}/maps:fit", """{"fromSpace":"new","toSpace":"old","kind":"MAP_KIND_AUTO","seed":1,"autoBudgetSeconds":120}""");
        var map = fitted.RootElement.GetProperty("map");
        var selection = map.GetProperty("report").GetProperty("autoSelection");
        var chosen = selection.GetProperty("chosen").GetString();
        Assert.Equal(chosen, map.GetProperty("kind").GetString());
        Assert.Equal(3, selection.GetProperty("folds").GetInt32());
        Assert.Equal(120, selection.GetProperty("budgetSeconds").GetDouble());
        var rows = selection.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal(
            ["MAP_KIND_ORTHOGONAL", "MAP_KIND_CANONICAL_Q", "MAP_KIND_AFFINE", "MAP_KIND_LAMBDA_ORTHOGONAL", "MAP_KIND_RANKING_ADAPTER", "MAP_KIND_RESIDUAL_MLP"],
            rows.Select(r => r.GetProperty("kind").GetString()));
        Assert.All(rows, r =>
        {
            Assert.Equal("AUTO_CANDIDATE_OUTCOME_SCORED", r.GetProperty("outcome").GetString());
            Assert.True(r.GetProperty("heldOutRecallAt10").GetDouble() > 0.95);
            Assert.InRange(r.GetProperty("heldOutNeighbourRecallAt10").GetDouble(), 0, 1);
            Assert.True(r.TryGetProperty("score", out _));
        });
        Assert.Contains(chosen!.Replace("MAP_KIND_", "", StringComparison.Ordinal).ToLowerInvariant(), selection.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(map.GetProperty("report").GetProperty("identificationRecallAt10").GetDouble() > 0.95);

        // gRPC with no budget: the first candidate is scored, the others are skipped, and GetMap shows the stored table.
        var zero = (await Server.Maps.FitMapAsync(new FitMapRequest { Collection = name, FromSpace = "new", ToSpace = "old", Kind = MapKind.Auto, AutoBudgetSeconds = 0 })).Map;
        Assert.Equal(MapKind.Orthogonal, zero.Kind);
        var stored = await Server.Maps.GetMapAsync(new GetMapRequest { Collection = name, Id = zero.Id });
        Assert.Equal(zero.Report.AutoSelection, stored.Report.AutoSelection);
        var table = stored.Report.AutoSelection.Candidates;
        Assert.Equal(AutoCandidateOutcome.Scored, table[0].Outcome);
        Assert.True(table[0].HasScore);
        Assert.All(table.Skip(1), c =>
        {
            Assert.Equal(AutoCandidateOutcome.SkippedForBudget, c.Outcome);
            Assert.False(c.HasScore);
            Assert.Contains("budget", c.Reason, StringComparison.Ordinal);
        });

        var refused = await Assert.ThrowsAsync<RpcException>(() => Server.Maps.FitMapAsync(new FitMapRequest { Collection = name, FromSpace = "new", ToSpace = "old", Kind = MapKind.Auto, AutoBudgetSeconds = -1 }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("autoBudgetSeconds", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(2, (await Server.Maps.ListMapsAsync(new ListMapsRequest { Collection = name })).Maps.Count);
    }

    [SkippableFact]
    public async Task Activate_GateFailed_RefusedUnlessForcedThenRetireStopsRouting()
    {
        // Unrelated spaces: no map can make a new query find what the old query finds.
        var name = await CreateAsync("gate", ("old", Dimension, "METRIC_INNER_PRODUCT", null), ("new", Dimension, "METRIC_INNER_PRODUCT", null));
        var olds = Vectors.Random(100, Dimension, seed: 21);
        var news = Vectors.Random(100, Dimension, seed: 22);
        await UpsertAsync(name, olds.Select((o, i) => ($"i{i}", new Dictionary<string, float[]> { ["old"] = o, ["new"] = news[i] })));
        var request = new FitMapRequest { Collection = name, FromSpace = "new", ToSpace = "old", Kind = MapKind.Orthogonal, Evaluation = new MapEvaluationSet() };
        for (var q = 0; q < 20; q++)
        {
            request.Evaluation.Queries.Add(new EvaluationQuery
            {
                NewVector = new Vector { Values = { Vectors.Random(1, Dimension, seed: 100 + q)[0] } },
                OldVector = new Vector { Values = { olds[q] } },
                RelevantIds = { $"i{q}" },
            });
        }

        var map = (await Server.Maps.FitMapAsync(request)).Map;
        Assert.Equal(GateOutcome.Failed, map.Report.Gate);
        Assert.StartsWith("failed", map.Report.GateReason, StringComparison.Ordinal);
        Assert.True(map.Report.Evaluation.OldToOld.RecallAt10 > map.Report.Evaluation.NewToOldMapped.RecallAt10);

        var refused = await Assert.ThrowsAsync<RpcException>(() => Server.Maps.ActivateMapAsync(new ActivateMapRequest { Collection = name, Id = map.Id }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal(MapState.Draft, (await Server.Maps.GetMapAsync(new GetMapRequest { Collection = name, Id = map.Id })).State);

        var forced = await Server.Maps.ActivateMapAsync(new ActivateMapRequest { Collection = name, Id = map.Id, Force = true });
        Assert.Equal(MapState.Active, forced.State);
        Assert.Equal([map.Id], (await SearchAsync(name, "new", "old", news[0], k: 3)).MapsUsed);

        using var retired = await PostAsync($"/v1/collections/{name}/maps/{map.Id}:retire", "{}");
        Assert.Equal("MAP_STATE_RETIRED", retired.RootElement.GetProperty("state").GetString());
        var noPath = await Assert.ThrowsAsync<RpcException>(() => SearchAsync(name, "new", "old", news[0], k: 3));
        Assert.Equal(StatusCode.FailedPrecondition, noPath.StatusCode);
        Assert.Contains("'new'", noPath.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("'old'", noPath.Status.Detail, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Fit_WithEvaluation_ReportsNewToNewOnlyWhileEveryItemHoldsANewVector()
    {
        var rotation = SyntheticSpaces.Orthogonal(Dimension, seed: 61);
        var name = await CreateAsync("newnew", ("old", Dimension, "METRIC_COSINE", null), ("new", Dimension, "METRIC_COSINE", null));
        var items = Vectors.Random(150, Dimension, seed: 62);
        await UpsertAsync(name, items.Select((x, i) => ($"i{i}", new Dictionary<string, float[]> { ["new"] = x, ["old"] = SyntheticSpaces.Multiply(x, rotation) })));

        // Each query is an item moved by a little noise: new→new finds the item among its new vectors.
        var noise = new Random(63);
        var queries = Enumerable.Range(0, 20).Select(q =>
        {
            var near = items[q].Select(v => v + (0.05f * (float)(noise.NextDouble() - 0.5))).ToArray();
            return new { newVector = new { values = near }, oldVector = new { values = SyntheticSpaces.Multiply(near, rotation) }, relevantIds = new[] { $"i{q}" } };
        }).ToArray();
        var body = JsonSerializer.Serialize(new { fromSpace = "new", toSpace = "old", kind = "MAP_KIND_ORTHOGONAL", evaluation = new { queries } });

        using var filled = await PostAsync($"/v1/collections/{name}/maps:fit", body);
        var evaluation = filled.RootElement.GetProperty("map").GetProperty("report").GetProperty("evaluation");
        var newToNew = evaluation.GetProperty("newToNew");
        Assert.Equal(1.0, newToNew.GetProperty("recallAt10").GetDouble());
        Assert.InRange(newToNew.GetProperty("recallAt1").GetDouble(), 0.9, 1.0);
        Assert.InRange(newToNew.GetProperty("mapAt10").GetDouble(), 0.9, 1.0);
        var id = filled.RootElement.GetProperty("map").GetProperty("id").GetString();
        var stored = await Server.Maps.GetMapAsync(new GetMapRequest { Collection = name, Id = id });
        Assert.Equal(newToNew.GetProperty("recallAt1").GetDouble(), stored.Report.Evaluation.NewToNew.RecallAt1);

        // One item without a new vector: the new gallery no longer holds every item, so no new→new figure.
        await UpsertAsync(name, [("only-old", new Dictionary<string, float[]> { ["old"] = Vectors.Random(1, Dimension, seed: 64)[0] })]);
        using var partly = await PostAsync($"/v1/collections/{name}/maps:fit", body);
        var partlyEvaluation = partly.RootElement.GetProperty("map").GetProperty("report").GetProperty("evaluation");
        Assert.True(partlyEvaluation.TryGetProperty("newToOldMapped", out _));
        Assert.False(partlyEvaluation.TryGetProperty("newToNew", out _));
    }

    [SkippableFact]
    public async Task Search_ChainV3ToV1_ComposesBothMapsLikeSequentialApplication()
    {
        var r32 = SyntheticSpaces.Orthogonal(Dimension, seed: 31);
        var r21 = SyntheticSpaces.Orthogonal(Dimension, seed: 32);
        var name = await CreateAsync("chain", ("v1", Dimension, "METRIC_INNER_PRODUCT", null), ("v2", Dimension, "METRIC_INNER_PRODUCT", null), ("v3", Dimension, "METRIC_INNER_PRODUCT", null));
        var v3 = Vectors.Random(120, Dimension, seed: 33);
        await UpsertAsync(name, v3.Select((x, i) =>
        {
            var x2 = SyntheticSpaces.Multiply(x, r32);
            return ($"i{i}", new Dictionary<string, float[]> { ["v3"] = x, ["v2"] = x2, ["v1"] = SyntheticSpaces.Multiply(x2, r21) });
        }));
        var m32 = (await Server.Maps.FitMapAsync(new FitMapRequest { Collection = name, FromSpace = "v3", ToSpace = "v2", Kind = MapKind.Orthogonal })).Map.Id;
        var m21 = (await Server.Maps.FitMapAsync(new FitMapRequest { Collection = name, FromSpace = "v2", ToSpace = "v1", Kind = MapKind.Orthogonal })).Map.Id;
        await Server.Maps.ActivateMapAsync(new ActivateMapRequest { Collection = name, Id = m32 });
        await Server.Maps.ActivateMapAsync(new ActivateMapRequest { Collection = name, Id = m21 });

        var query = Vectors.Random(1, Dimension, seed: 34)[0];
        var routed = await SearchAsync(name, "v3", "v1", query, k: 10);
        var sequential = await SearchAsync(name, "v1", "", SyntheticSpaces.Multiply(SyntheticSpaces.Multiply(query, r32), r21), k: 10);
        Assert.Equal([m32, m21], routed.MapsUsed);
        Assert.Equal(sequential.Hits.Select(h => h.Id), routed.Hits.Select(h => h.Id));
        for (var i = 0; i < sequential.Hits.Count; i++)
        {
            Assert.Equal(sequential.Hits[i].Score, routed.Hits[i].Score, 1e-3);
        }
    }

    [SkippableFact]
    public async Task Search_EmptyQuerySpaceWithInlineAnchors_RoutesImplicitly()
    {
        var rotation = SyntheticSpaces.Orthogonal(Dimension, seed: 41);
        var name = await CreateAsync("implicit", ("old", Dimension, "METRIC_COSINE", null), ("new", Dimension, "METRIC_COSINE", null));
        var olds = Vectors.Random(150, Dimension, seed: 42);
        await UpsertAsync(name, olds.Select((o, i) => ($"i{i}", new Dictionary<string, float[]> { ["old"] = o })));

        // The "new" space holds no vectors: anchors come inline, re-embedded elsewhere.
        var request = new FitMapRequest { Collection = name, FromSpace = "new", ToSpace = "old", Kind = MapKind.Orthogonal };
        foreach (var x in Vectors.Random(60, Dimension, seed: 43))
        {
            request.Anchors.Add(new AnchorPair { NewVector = new Vector { Values = { x } }, OldVector = new Vector { Values = { SyntheticSpaces.Multiply(x, rotation) } } });
        }

        var id = (await Server.Maps.FitMapAsync(request)).Map.Id;
        await Server.Maps.ActivateMapAsync(new ActivateMapRequest { Collection = name, Id = id });
        var query = Vectors.Random(1, Dimension, seed: 44)[0];
        var routed = await SearchAsync(name, "new", "", query, k: 5);
        var native = await SearchAsync(name, "old", "", SyntheticSpaces.Multiply(query, rotation), k: 5);
        Assert.Equal([id], routed.MapsUsed);
        Assert.Equal(native.Hits.Select(h => h.Id), routed.Hits.Select(h => h.Id));
        for (var i = 0; i < native.Hits.Count; i++)
        {
            Assert.Equal(native.Hits[i].Score, routed.Hits[i].Score, 1e-3);
        }
    }

    [SkippableFact]
    public async Task Search_PrefixCompatibleSpace_SearchesOldIndexByPrefixWithoutMap()
    {
        var name = await CreateAsync("prefix", ("old", 4, "METRIC_COSINE", null), ("new", Dimension, "METRIC_COSINE", "old"));
        var olds = Vectors.Random(80, 4, seed: 51);
        await UpsertAsync(name, olds.Select((o, i) => ($"i{i}", new Dictionary<string, float[]> { ["old"] = o })));
        var query = Vectors.Random(1, Dimension, seed: 52)[0];

        var explicitRoute = await SearchAsync(name, "new", "old", query, k: 5);
        var implicitRoute = await SearchAsync(name, "new", "", query, k: 5);
        var native = await SearchAsync(name, "old", "", query[..4], k: 5);
        Assert.Empty(explicitRoute.MapsUsed);
        Assert.Equal(native.Hits.Select(h => (h.Id, h.Score)), explicitRoute.Hits.Select(h => (h.Id, h.Score)));
        Assert.Equal(native.Hits.Select(h => h.Id), implicitRoute.Hits.Select(h => h.Id));
        var collection = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name });
        Assert.Equal("old", collection.Spaces.Single(s => s.Name == "new").CompatiblePrefixOf);

        // The space a prefix-compatible space extends cannot be deleted from under it.
        await Server.Collections.SetDefaultSpaceAsync(new SetDefaultSpaceRequest { Collection = name, Space = "new" });
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Server.Collections.DeleteSpaceAsync(new DeleteSpaceRequest { Collection = name, Space = "old" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("compatiblePrefixOf", error.Status.Detail, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task TwoSided_FitOverRest_ReprojectThroughTheWorker_CutOverRoutesIntoTheJointSpace()
    {
        var rotation = SyntheticSpaces.Orthogonal(Dimension, seed: 61);
        var name = await CreateAsync("two-sided", ("old", Dimension, "METRIC_COSINE", null), ("new", Dimension, "METRIC_COSINE", null), ("joint", 4, "METRIC_COSINE", null));
        var olds = Vectors.Random(120, Dimension, seed: 62);
        await UpsertAsync(name, olds.Select((o, i) => ($"i{i}", new Dictionary<string, float[]> { ["old"] = o })));
        static string Values(IEnumerable<float> values) => "[" + string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
        var anchors = string.Join(",", Vectors.Random(60, Dimension, seed: 63).Select(x =>
            "{\"newVector\":{\"values\":" + Values(x) + "},\"oldVector\":{\"values\":" + Values(SyntheticSpaces.Multiply(x, rotation)) + "}}"));

        using var fit = await PostAsync($"/v1/collections/{name}/maps:fit", $$"""{"fromSpace":"new","toSpace":"old","kind":"MAP_KIND_TWO_SIDED","jointSpace":"joint","jointRegularization":0.1,"anchors":[{{anchors}}]}""");
        var map = fit.RootElement.GetProperty("map");
        var twoSided = map.GetProperty("report").GetProperty("twoSided");
        Assert.Equal(("MAP_KIND_TWO_SIDED", "joint", "TWO_SIDED_ROLE_QUERY", "REGULARIZATION_CHOICE_REQUESTED"),
            (map.GetProperty("kind").GetString(), map.GetProperty("toSpace").GetString(), twoSided.GetProperty("role").GetString(), twoSided.GetProperty("regularizationChosenBy").GetString()));
        Assert.Equal(120, twoSided.GetProperty("cost").GetProperty("vectors").GetInt32());
        Assert.Equal(4, twoSided.GetProperty("canonicalCorrelations").GetArrayLength());
        var queryMap = map.GetProperty("id").GetString()!;

        await Server.Migrations.PlanMigrationAsync(new PlanMigrationRequest { Collection = name, Id = "r", FromSpace = "old", ToSpace = "joint", Settings = new MigrationSettings { TwoSidedMap = queryMap } });
        await Server.Migrations.FitMigrationAsync(new FitMigrationRequest { Collection = name, Id = "r" });
        await Server.Migrations.ActivateMigrationAsync(new ActivateMigrationRequest { Collection = name, Id = "r", Force = true });
        await Server.Migrations.StartBackfillAsync(new StartBackfillRequest { Collection = name, Id = "r" });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        Migration status;
        while ((status = await Server.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = name, Id = "r" })).Progress.MissingNewItems > 0 || status.Progress.DerivedItems > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the worker re-projected {status.Progress.NativeItems} of {status.Progress.TotalItems} items in 60 s");
            await Task.Delay(100);
        }

        Assert.Equal(queryMap, status.Settings.TwoSidedMap);
        await Server.Migrations.CutoverMigrationAsync(new MigrationActionRequest { Collection = name, Id = "r" });
        var routed = await SearchAsync(name, "new", "", Vectors.Random(1, Dimension, seed: 64)[0], k: 5);
        Assert.Equal([queryMap], routed.MapsUsed);
        Assert.Equal(5, routed.Hits.Count);
    }

    [SkippableFact]
    public async Task GetMap_UnknownId_IsNotFound()
    {
        var name = await CreateAsync("unknown", ("old", Dimension, "METRIC_INNER_PRODUCT", null));
        using var response = await Server.Rest.GetAsync(new Uri($"/v1/collections/{name}/maps/map-nope", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<string> CreateAsync(string prefix, params (string Name, int Dimension, string Metric, string? PrefixOf)[] spaces)
    {
        var name = TestNames.Unique(prefix);
        var request = new CreateCollectionRequest { Name = name };
        foreach (var (space, dimension, metric, prefixOf) in spaces)
        {
            request.Spaces.Add(new Space
            {
                Name = space,
                Dimension = dimension,
                Metric = Enum.Parse<Metric>(metric["METRIC_".Length..].Replace("_", "", StringComparison.Ordinal), ignoreCase: true),
                Model = new ModelRef { Name = space, Version = "1" },
                CompatiblePrefixOf = prefixOf ?? "",
                RenormalizePrefix = prefixOf is not null,
            });
        }

        await Server.Collections.CreateCollectionAsync(request);
        return name;
    }

    private async Task UpsertAsync(string collection, IEnumerable<(string Id, Dictionary<string, float[]> Vectors)> items)
    {
        var request = new UpsertItemsRequest { Collection = collection };
        foreach (var (id, vectors) in items)
        {
            var item = new Item { Id = id };
            foreach (var (space, vector) in vectors)
            {
                item.Vectors.Add(space, new Vector { Values = { vector } });
            }

            request.Items.Add(item);
        }

        await Server.Items.UpsertItemsAsync(request);
    }

    private async Task<SearchResponse> SearchAsync(string collection, string space, string targetSpace, float[] vector, int k) =>
        await Server.Search.SearchAsync(new SearchRequest { Collection = collection, Space = space, TargetSpace = targetSpace, Vector = new Vector { Values = { vector } }, K = k });

    private async Task<JsonDocument> PostAsync(string path, string body)
    {
        using var response = await Server.PostJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {path}: HTTP {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text);
    }
}

public sealed class SqliteMapsApiTests(SqliteServerFixture fixture) : MapsApiTests<SqliteServerFixture>(fixture);

public sealed class PostgresMapsApiTests(PostgresServerFixture fixture) : MapsApiTests<PostgresServerFixture>(fixture);
