using Google.Protobuf.WellKnownTypes;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Engine.Maps;
using Retrieval.Engine.Migrations;
using CoreGateMetric = Retrieval.Core.Maps.GateMetric;
using CoreMapKind = Retrieval.Core.Maps.MapKind;
using CorePhase = Retrieval.Core.Migrations.MigrationPhase;
using CoreSettings = Retrieval.Engine.Migrations.MigrationParameters;

namespace Retrieval.Server.Mapping;

/// <summary>Migrations between the wire and the engine.</summary>
internal static class MigrationMapping
{
    public static MigrationPlan ToPlan(PlanMigrationRequest request) =>
        new(request.Id, request.FromSpace, request.ToSpace, request.Encoder, ToSettings(request.Settings, FieldPath.Of("settings")) ?? new CoreSettings());

    public static CoreSettings? ToSettings(Contracts.V1.MigrationSettings? settings, FieldPath field)
    {
        if (settings is null)
        {
            return null;
        }

        return new CoreSettings
        {
            MapKind = settings.MapKind == MapKind.Unspecified ? CoreMapKind.Orthogonal : MapMapping.ToKind(settings.MapKind),
            HeldOutFraction = settings.HasHeldOutFraction ? settings.HeldOutFraction : null,
            Seed = settings.HasSeed ? settings.Seed : null,
            Alpha = settings.HasAlpha ? settings.Alpha : null,
            Lambda = settings.HasLambda ? settings.Lambda : null,
            MaxAnchors = settings.MaxAnchors,
            GateMetric = ToGateMetric(settings.GateMetric, field.Member("gateMetric")),
            ItemsPerSecond = settings.ItemsPerSecond,
            Refit = OnlineRefitMapping.ToSettings(settings.Refit),
            TwoSidedMap = string.IsNullOrEmpty(settings.TwoSidedMap) ? null : settings.TwoSidedMap,
        };
    }

    public static CoreGateMetric? ToGateMetric(GateMetric metric, FieldPath field) => metric switch
    {
        GateMetric.Unspecified => null,
        GateMetric.RecallAt1 => CoreGateMetric.RecallAt1,
        GateMetric.RecallAt10 => CoreGateMetric.RecallAt10,
        GateMetric.MapAt10 => CoreGateMetric.MapAt10,
        _ => throw RetrievalException.Invalid(field, $"unknown value {(int)metric}"),
    };

    public static IReadOnlyList<MapEvaluationQuery> ToEvaluation(MapEvaluationSet? set) =>
        set?.Queries.Select(q => new MapEvaluationQuery(VectorMapping.ToArray(q.NewVector), VectorMapping.ToArray(q.OldVector), [.. q.RelevantIds])).ToList() ?? [];

    public static IReadOnlyList<(float[] New, float[] Old)> ToAnchors(IEnumerable<AnchorPair> anchors) =>
        anchors.Select(a => (VectorMapping.ToArray(a.NewVector), VectorMapping.ToArray(a.OldVector))).ToList();

    public static IReadOnlyList<Engine.Migrations.BackfillVector> ToVectors(IEnumerable<Contracts.V1.BackfillVector> vectors) =>
        vectors.Select(v => new Engine.Migrations.BackfillVector(v.Id, VectorMapping.ToArray(v.Vector))).ToList();

    public static BackfillVectorsResponse ToProto(BackfillResult result) => new()
    {
        Accepted = result.Accepted,
        Skipped = result.Skipped,
        Sequence = result.Sequence,
        Migration = ToProto(result.Migration),
    };

    public static Migration ToProto(MigrationInfo info, IReadOnlyList<Core.Storage.MigrationEvent>? events = null)
    {
        var row = info.Row;
        var proto = new Migration
        {
            Id = row.Id,
            Collection = row.Collection,
            FromSpace = row.FromSpace,
            ToSpace = row.ToSpace,
            Encoder = row.Encoder ?? "",
            Phase = ToProto(row.Phase),
            Settings = ToProto(info.Settings),
            MapId = row.MapId ?? "",
            InverseMapId = row.InverseMapId ?? "",
            Anchors = info.Details.Anchors,
            Progress = info.Progress is not { } progress ? null : new Contracts.V1.MigrationProgress
            {
                TotalItems = progress.TotalItems,
                NativeItems = progress.NativeItems,
                DerivedItems = progress.DerivedItems,
                MissingNewItems = progress.MissingNewItems,
                Fraction = progress.Fraction,
                LeftForClientItems = progress.LeftForClientItems,
            },
            Backfilled = row.Backfilled,
            MappedOnWrite = row.MappedOnWrite,
            DerivedOnWrite = row.DerivedOnWrite,
            WorkerCursor = row.WorkerCursor ?? "",
            ClientCheckpoint = row.ClientCheckpoint ?? "",
            PreviousDefaultSpace = row.PreviousDefaultSpace ?? "",
            CreatedAt = Timestamp.FromDateTimeOffset(row.CreatedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(row.UpdatedAt),
            ChangedBy = row.ChangedBy,
        };
        if (info.Details.Calibration is { } calibration)
        {
            proto.Calibration = new Contracts.V1.ScoreCalibration
            {
                Scale = calibration.Scale,
                Offset = calibration.Offset,
                Pairs = calibration.Pairs,
                Correlation = double.IsFinite(calibration.Correlation) ? calibration.Correlation : 0,
            };
        }

        if (info.Details.Evaluation is { } report)
        {
            proto.Evaluation = MapMapping.ToProto(report);
        }

        if (info.Refit is { } refit)
        {
            proto.Refit = OnlineRefitMapping.ToProto(refit, info.Details.Refit);
        }

        foreach (var e in events ?? [])
        {
            proto.Events.Add(new Contracts.V1.MigrationEvent
            {
                At = Timestamp.FromDateTimeOffset(e.At),
                FromPhase = e.FromPhase is { } from ? ToProto(from) : MigrationPhase.Unspecified,
                ToPhase = ToProto(e.ToPhase),
                Actor = e.Actor,
                Note = e.Note,
            });
        }

        return proto;
    }

    private static Contracts.V1.MigrationSettings ToProto(CoreSettings settings)
    {
        var proto = new Contracts.V1.MigrationSettings
        {
            MapKind = MapMapping.ToProto(settings.MapKind),
            MaxAnchors = settings.MaxAnchors,
            ItemsPerSecond = settings.ItemsPerSecond,
            TwoSidedMap = settings.TwoSidedMap ?? "",
            GateMetric = settings.GateMetric switch
            {
                CoreGateMetric.RecallAt1 => GateMetric.RecallAt1,
                CoreGateMetric.RecallAt10 => GateMetric.RecallAt10,
                CoreGateMetric.MapAt10 => GateMetric.MapAt10,
                _ => GateMetric.Unspecified,
            },
        };
        proto.Refit = OnlineRefitMapping.ToProto(settings.Refit);
        if (settings.HeldOutFraction is { } held)
        {
            proto.HeldOutFraction = held;
        }

        if (settings.Seed is { } seed)
        {
            proto.Seed = seed;
        }

        if (settings.Alpha is { } alpha)
        {
            proto.Alpha = alpha;
        }

        if (settings.Lambda is { } lambda)
        {
            proto.Lambda = lambda;
        }

        return proto;
    }

    private static MigrationPhase ToProto(CorePhase phase) => phase switch
    {
        CorePhase.Planned => MigrationPhase.Planned,
        CorePhase.Fitted => MigrationPhase.Fitted,
        CorePhase.Evaluated => MigrationPhase.Evaluated,
        CorePhase.Active => MigrationPhase.Active,
        CorePhase.Backfilling => MigrationPhase.Backfilling,
        CorePhase.Paused => MigrationPhase.Paused,
        CorePhase.CutOver => MigrationPhase.CutOver,
        CorePhase.Retired => MigrationPhase.Retired,
        CorePhase.RolledBack => MigrationPhase.RolledBack,
        _ => MigrationPhase.Unspecified,
    };
}
