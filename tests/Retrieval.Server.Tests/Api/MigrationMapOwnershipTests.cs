using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// What clients saw around a migration's maps: an open migration owns its maps (hand activation of another map for the
/// pair and hand retirement are refused, docs/decisions.md), the maps carry the gate the migration's evaluation decided,
/// and a closed migration reports its progress as it was when it ended.
/// </summary>
public abstract class MigrationMapOwnershipTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private InProcessServer Server => fixture.Server;

    [SkippableFact]
    public async Task OpenMigration_OwnsItsMaps_MapsShowTheEvaluatedGate_RollbackKeepsTheFiguresAtTheEnd()
    {
        var scenario = new MigrationScenario(items: 120, anchors: 60, seed: 51);
        var name = await scenario.CreateAsync(Server.Collections, Server.Items, "mig-owns");
        await Server.Migrations.PlanMigrationAsync(new PlanMigrationRequest { Collection = name, Id = "m", ToSpace = "new" });
        await Server.Migrations.FitMigrationAsync(new FitMigrationRequest { Collection = name, Id = "m" });
        var evaluation = new MapEvaluationSet();
        for (var q = 0; q < 10; q++)
        {
            evaluation.Queries.Add(new EvaluationQuery { NewVector = MigrationScenario.Vector(scenario.New[q]), OldVector = MigrationScenario.Vector(scenario.Old[q]), RelevantIds = { MigrationScenario.Id(q) } });
        }

        var evaluated = await Server.Migrations.EvaluateMigrationAsync(new EvaluateMigrationRequest { Collection = name, Id = "m", Evaluation = evaluation });
        Assert.Equal(GateOutcome.Passed, evaluated.Evaluation.Gate);

        // maps list shows the gate the migration's evaluation decided, not the fit's "not evaluated".
        var listed = (await Server.Maps.ListMapsAsync(new ListMapsRequest { Collection = name })).Maps.Single(m => m.Id == evaluated.MapId);
        Assert.Equal(GateOutcome.Passed, listed.Report.Gate);
        Assert.NotNull(listed.Report.Evaluation);

        var active = await Server.Migrations.ActivateMigrationAsync(new ActivateMigrationRequest { Collection = name, Id = "m" });

        // A map fitted by hand for the same pair cannot take over while the migration is open, nor can its map be retired.
        var other = (await Server.Maps.FitMapAsync(new FitMapRequest { Collection = name, FromSpace = "new", ToSpace = "old", Kind = MapKind.Orthogonal })).Map;
        var activate = await Assert.ThrowsAsync<RpcException>(() => Server.Maps.ActivateMapAsync(new ActivateMapRequest { Collection = name, Id = other.Id, Force = true }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, activate.StatusCode);
        Assert.Contains("migration 'm'", activate.Status.Detail, StringComparison.Ordinal);
        var retire = await Assert.ThrowsAsync<RpcException>(() => Server.Maps.RetireMapAsync(new RetireMapRequest { Collection = name, Id = active.MapId }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, retire.StatusCode);
        Assert.Contains("migration 'm'", retire.Status.Detail, StringComparison.Ordinal);

        // Nothing changed: the migration's map is still active and mixed search still goes through it.
        Assert.Equal(MapState.Active, (await Server.Maps.GetMapAsync(new GetMapRequest { Collection = name, Id = active.MapId })).State);
        Assert.NotEqual(MapState.Active, (await Server.Maps.GetMapAsync(new GetMapRequest { Collection = name, Id = other.Id })).State);
        var mixed = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Space = "new", Vector = MigrationScenario.Vector(scenario.New[100]), K = 5 });
        Assert.Equal([active.MapId], mixed.MapsUsed);

        await Server.Migrations.StartBackfillAsync(new StartBackfillRequest { Collection = name, Id = "m" });
        await scenario.StreamBackfillAsync(Server.Migrations, name, "m", 60, 90, batch: 30);
        var open = await Server.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = name, Id = "m" });
        var rolledBack = await Server.Migrations.RollbackMigrationAsync(new MigrationActionRequest { Collection = name, Id = "m" });

        // Closed: the progress is the one at the end (not zeros), on the answer and on every later read.
        Assert.Equal(MigrationPhase.RolledBack, rolledBack.Phase);
        var expected = (120L, 90L, 30L);
        Assert.Equal(expected, (open.Progress.TotalItems, open.Progress.NativeItems, open.Progress.MissingNewItems));
        Assert.Equal(expected, (rolledBack.Progress.TotalItems, rolledBack.Progress.NativeItems, rolledBack.Progress.MissingNewItems));
        var later = await Server.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = name, Id = "m" });
        Assert.Equal(expected, (later.Progress.TotalItems, later.Progress.NativeItems, later.Progress.MissingNewItems));
        Assert.Equal(0.75, later.Progress.Fraction, 6);

        // Once the migration has ended, the pair is free again.
        Assert.Equal(MapState.Active, (await Server.Maps.ActivateMapAsync(new ActivateMapRequest { Collection = name, Id = other.Id, Force = true })).State);
    }
}

public sealed class SqliteMigrationMapOwnershipTests(SqliteServerFixture fixture) : MigrationMapOwnershipTests<SqliteServerFixture>(fixture);

public sealed class PostgresMigrationMapOwnershipTests(PostgresServerFixture fixture) : MigrationMapOwnershipTests<PostgresServerFixture>(fixture);
