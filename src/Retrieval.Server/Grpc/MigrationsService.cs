using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Engine;
using Retrieval.Server.Mapping;

namespace Retrieval.Server.Grpc;

/// <summary>Thin gRPC (and transcoded REST) surface over the engine's migration state machine and backfill.</summary>
[BindServiceMethod(typeof(GuardedServiceBinding.ForMigrations), nameof(GuardedServiceBinding.ForMigrations.BindService))]
internal sealed class MigrationsService(RetrievalEngine engine) : Migrations.MigrationsBase
{
    public override async Task<Migration> PlanMigration(PlanMigrationRequest request, ServerCallContext context) =>
        MigrationMapping.ToProto(await engine.PlanMigrationAsync(request.Collection, MigrationMapping.ToPlan(request), request.Actor, context.CancellationToken));

    public override async Task<ListMigrationsResponse> ListMigrations(ListMigrationsRequest request, ServerCallContext context)
    {
        var response = new ListMigrationsResponse();
        response.Migrations.Add((await engine.ListMigrationsAsync(request.Collection, context.CancellationToken)).Select(m => MigrationMapping.ToProto(m)));
        return response;
    }

    public override async Task<Migration> GetMigration(GetMigrationRequest request, ServerCallContext context)
    {
        var info = await engine.GetMigrationAsync(request.Collection, request.Id, context.CancellationToken);
        var events = await engine.GetMigrationEventsAsync(request.Collection, request.Id, context.CancellationToken);
        return MigrationMapping.ToProto(info, events);
    }

    public override async Task<Migration> FitMigration(FitMigrationRequest request, ServerCallContext context) =>
        MigrationMapping.ToProto(await engine.FitMigrationAsync(
            request.Collection,
            request.Id,
            MigrationMapping.ToSettings(request.Settings, FieldPath.Of("settings")),
            MigrationMapping.ToAnchors(request.Anchors),
            MigrationMapping.ToEvaluation(request.Evaluation),
            request.Actor,
            context.CancellationToken));

    public override async Task<Migration> EvaluateMigration(EvaluateMigrationRequest request, ServerCallContext context) =>
        MigrationMapping.ToProto(await engine.EvaluateMigrationAsync(
            request.Collection,
            request.Id,
            MigrationMapping.ToEvaluation(request.Evaluation),
            MigrationMapping.ToGateMetric(request.GateMetric, FieldPath.Of("gateMetric")),
            request.Actor,
            context.CancellationToken));

    public override async Task<Migration> ActivateMigration(ActivateMigrationRequest request, ServerCallContext context) =>
        MigrationMapping.ToProto(await engine.ActivateMigrationAsync(request.Collection, request.Id, request.Force, request.Actor, context.CancellationToken));

    public override async Task<Migration> StartBackfill(StartBackfillRequest request, ServerCallContext context) =>
        MigrationMapping.ToProto(await engine.StartBackfillAsync(
            request.Collection, request.Id, request.HasItemsPerSecond ? request.ItemsPerSecond : null, request.Actor, context.CancellationToken));

    public override async Task<Migration> PauseMigration(MigrationActionRequest request, ServerCallContext context) =>
        MigrationMapping.ToProto(await engine.PauseMigrationAsync(request.Collection, request.Id, request.Actor, context.CancellationToken));

    public override async Task<Migration> ResumeMigration(MigrationActionRequest request, ServerCallContext context) =>
        MigrationMapping.ToProto(await engine.ResumeMigrationAsync(request.Collection, request.Id, request.Actor, context.CancellationToken));

    public override async Task<Migration> CutoverMigration(MigrationActionRequest request, ServerCallContext context) =>
        MigrationMapping.ToProto(await engine.CutoverMigrationAsync(request.Collection, request.Id, request.Actor, context.CancellationToken));

    public override async Task<Migration> RollbackMigration(MigrationActionRequest request, ServerCallContext context) =>
        MigrationMapping.ToProto(await engine.RollbackMigrationAsync(request.Collection, request.Id, request.Actor, context.CancellationToken));

    public override async Task<Migration> RetireMigration(MigrationActionRequest request, ServerCallContext context) =>
        MigrationMapping.ToProto(await engine.RetireMigrationAsync(request.Collection, request.Id, request.Actor, context.CancellationToken));

    public override async Task<BackfillVectorsResponse> BackfillVectors(BackfillVectorsRequest request, ServerCallContext context) =>
        MigrationMapping.ToProto(await engine.BackfillAsync(
            request.Collection, request.Id, MigrationMapping.ToVectors(request.Vectors), NullIfEmpty(request.Checkpoint), context.CancellationToken));

    public override async Task StreamBackfill(IAsyncStreamReader<BackfillVectorsRequest> requestStream, IServerStreamWriter<BackfillVectorsResponse> responseStream, ServerCallContext context)
    {
        // One batch at a time: each response is written only after its batch committed, so the client's last
        // acknowledged checkpoint is always durable.
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            var result = await engine.BackfillAsync(
                request.Collection, request.Id, MigrationMapping.ToVectors(request.Vectors), NullIfEmpty(request.Checkpoint), context.CancellationToken);
            await responseStream.WriteAsync(MigrationMapping.ToProto(result), context.CancellationToken);
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
