using Google.Protobuf.WellKnownTypes;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Engine.Maps;
using CoreAutoSelection = Retrieval.Core.Maps.AutoSelectionReport;
using CoreCandidateOutcome = Retrieval.Core.Maps.AutoCandidateOutcome;
using CoreGateMetric = Retrieval.Core.Maps.GateMetric;
using CoreGateOutcome = Retrieval.Core.Maps.GateOutcome;
using CoreMapKind = Retrieval.Core.Maps.MapKind;
using CoreMapState = Retrieval.Core.Maps.MapState;
using CoreReport = Retrieval.Core.Maps.MapReport;
using CoreChoice = Retrieval.Core.Maps.RegularizationChoice;
using CoreRole = Retrieval.Core.Maps.TwoSidedRole;
using CoreScores = Retrieval.Core.Maps.RetrievalScores;
using CoreTwoSided = Retrieval.Core.Maps.TwoSidedReport;

namespace Retrieval.Server.Mapping;

/// <summary>Compatibility maps between the wire and the engine.</summary>
internal static class MapMapping
{
    public static MapFitRequest ToFitRequest(FitMapRequest request)
    {
        var kind = ToKind(request.Kind);
        return new MapFitRequest(request.FromSpace, request.ToSpace, kind)
        {
            HeldOutFraction = request.HasHeldOutFraction ? request.HeldOutFraction : null,
            Seed = request.HasSeed ? request.Seed : null,
            Alpha = request.HasAlpha ? request.Alpha : null,
            Lambda = request.HasLambda ? request.Lambda : null,
            MaxAnchors = request.MaxAnchors,
            Anchors = request.Anchors.Select(a => (VectorMapping.ToArray(a.NewVector), VectorMapping.ToArray(a.OldVector))).ToList(),
            Evaluation = request.Evaluation?.Queries
                .Select(q => new MapEvaluationQuery(VectorMapping.ToArray(q.NewVector), VectorMapping.ToArray(q.OldVector), [.. q.RelevantIds]))
                .ToList() ?? [],
            External = kind == CoreMapKind.External ? ExternalMapMapping.ToMap(request.External) : null,
            AutoBudgetSeconds = request.HasAutoBudgetSeconds ? request.AutoBudgetSeconds : null,
            JointSpace = string.IsNullOrEmpty(request.JointSpace) ? null : request.JointSpace,
            JointRegularization = request.HasJointRegularization ? request.JointRegularization : null,
            GateMetric = request.GateMetric switch
            {
                GateMetric.Unspecified => null,
                GateMetric.RecallAt1 => CoreGateMetric.RecallAt1,
                GateMetric.RecallAt10 => CoreGateMetric.RecallAt10,
                GateMetric.MapAt10 => CoreGateMetric.MapAt10,
                _ => throw RetrievalException.Invalid(FieldPath.Of("gateMetric"), $"unknown value {(int)request.GateMetric}"),
            },
        };
    }

    public static CompatibilityMap ToProto(MapInfo info) => new()
    {
        Id = info.Id,
        Collection = info.Collection,
        FromSpace = info.FromSpace,
        ToSpace = info.ToSpace,
        Kind = ToProto(info.Kind),
        State = info.State switch
        {
            CoreMapState.Draft => MapState.Draft,
            CoreMapState.Active => MapState.Active,
            CoreMapState.Retired => MapState.Retired,
            _ => MapState.Unspecified,
        },
        Report = ToProto(info.Report),
        CreatedAt = Timestamp.FromDateTimeOffset(info.CreatedAt),
        UpdatedAt = Timestamp.FromDateTimeOffset(info.UpdatedAt),
    };

    internal static MapReport ToProto(CoreReport report)
    {
        var proto = new MapReport
        {
            FitAnchors = report.FitAnchors,
            HeldOutAnchors = report.HeldOutAnchors,
            OrthogonalityError = report.OrthogonalityError,
            GateMetric = report.GateMetric switch
            {
                CoreGateMetric.RecallAt1 => GateMetric.RecallAt1,
                CoreGateMetric.RecallAt10 => GateMetric.RecallAt10,
                _ => GateMetric.MapAt10,
            },
            Gate = report.Gate switch
            {
                CoreGateOutcome.Passed => GateOutcome.Passed,
                CoreGateOutcome.Failed => GateOutcome.Failed,
                _ => GateOutcome.NotEvaluated,
            },
            GateReason = GateReason.Describe(report),
        };
        proto.Warnings.Add(report.Warnings);
        if (report.IdentificationRecallAt1 is { } r1)
        {
            proto.IdentificationRecallAt1 = r1;
        }

        if (report.IdentificationRecallAt10 is { } r10)
        {
            proto.IdentificationRecallAt10 = r10;
        }

        if (report.MeanCosine is { } cosine)
        {
            proto.MeanCosine = cosine;
        }

        if (report.Evaluation is { } scores)
        {
            proto.Evaluation = new MapEvaluationScores
            {
                QueryCount = scores.QueryCount,
                OldToOld = ToProto(scores.OldToOld),
                NewToOldUnmapped = scores.NewToOldUnmapped is { } unmapped ? ToProto(unmapped) : null,
                NewToOldMapped = ToProto(scores.NewToOldMapped),
                NewToNew = scores.NewToNew is { } newToNew ? ToProto(newToNew) : null,
            };
        }

        if (report.AutoSelection is { } selection)
        {
            proto.AutoSelection = ToProto(selection);
        }

        if (report.TwoSided is { } twoSided)
        {
            proto.TwoSided = ToProto(twoSided);
        }

        return proto;
    }

    private static TwoSidedReport ToProto(CoreTwoSided report)
    {
        var proto = new TwoSidedReport
        {
            Role = report.Role == CoreRole.Gallery ? TwoSidedRole.Gallery : TwoSidedRole.Query,
            PairedMapId = report.PairedMapId ?? "",
            JointSpace = report.JointSpace ?? "",
            JointDimension = report.JointDimension,
            Regularization = report.Regularization,
            RegularizationChosenBy = report.RegularizationChosenBy switch
            {
                CoreChoice.Requested => RegularizationChoice.Requested,
                CoreChoice.EvaluationQueries => RegularizationChoice.EvaluationQueries,
                CoreChoice.Fallback => RegularizationChoice.Fallback,
                _ => RegularizationChoice.Unspecified,
            },
            OneSided = report.OneSided is { } oneSided ? ToProto(oneSided) : null,
            Cost = report.Cost is { } cost
                ? new ReprojectionCost { Vectors = cost.Vectors, Seconds = cost.Seconds, CpuSeconds = cost.CpuSeconds, SecondsPerMillion = cost.SecondsPerMillion, CpuSecondsPerMillion = cost.CpuSecondsPerMillion }
                : null,
        };
        proto.Candidates.Add(report.Candidates.Select(c => new RegularizationCandidate { Regularization = c.Regularization, Score = c.Score }));
        proto.CanonicalCorrelations.Add(report.CanonicalCorrelations);
        return proto;
    }

    private static AutoSelection ToProto(CoreAutoSelection selection)
    {
        var proto = new AutoSelection
        {
            Chosen = ToProto(selection.Chosen),
            Folds = selection.Folds,
            BudgetSeconds = selection.BudgetSeconds,
            Reason = selection.Reason,
        };
        foreach (var candidate in selection.Candidates)
        {
            var row = new AutoCandidate
            {
                Kind = ToProto(candidate.Kind),
                Outcome = candidate.Outcome switch
                {
                    CoreCandidateOutcome.Scored => AutoCandidateOutcome.Scored,
                    CoreCandidateOutcome.SkippedForBudget => AutoCandidateOutcome.SkippedForBudget,
                    CoreCandidateOutcome.Failed => AutoCandidateOutcome.Failed,
                    _ => AutoCandidateOutcome.Unspecified,
                },
                FitSeconds = candidate.FitSeconds,
                Reason = candidate.Reason ?? "",
            };
            if (candidate.HeldOutRecallAt10 is { } heldOut)
            {
                row.HeldOutRecallAt10 = heldOut;
            }

            if (candidate.HeldOutNeighbourRecallAt10 is { } agreement)
            {
                row.HeldOutNeighbourRecallAt10 = agreement;
            }

            if (candidate.EvaluationRecallAt10 is { } evaluation)
            {
                row.EvaluationRecallAt10 = evaluation;
            }

            if (candidate.Score is { } score)
            {
                row.Score = score;
            }

            proto.Candidates.Add(row);
        }

        return proto;
    }

    private static RetrievalScores ToProto(CoreScores scores) =>
        new() { RecallAt1 = scores.RecallAt1, RecallAt10 = scores.RecallAt10, MapAt10 = scores.MapAt10 };

    internal static CoreMapKind ToKind(MapKind kind) => kind switch
    {
        MapKind.Orthogonal => CoreMapKind.Orthogonal,
        MapKind.CanonicalQ => CoreMapKind.CanonicalQ,
        MapKind.Affine => CoreMapKind.Affine,
        MapKind.LambdaOrthogonal => CoreMapKind.LambdaOrthogonal,
        MapKind.OrthogonalExtend => CoreMapKind.OrthogonalExtend,
        MapKind.External => CoreMapKind.External,
        MapKind.ResidualMlp => CoreMapKind.ResidualMlp,
        MapKind.RankingAdapter => CoreMapKind.RankingAdapter,
        MapKind.Auto => CoreMapKind.Auto,
        MapKind.TwoSided => CoreMapKind.TwoSided,
        MapKind.Unspecified => throw RetrievalException.Invalid(FieldPath.Of("kind"), "is required: one of the MAP_KIND_* values"),
        _ => throw RetrievalException.Invalid(FieldPath.Of("kind"), $"unknown value {(int)kind}"),
    };

    internal static MapKind ToProto(CoreMapKind kind) => kind switch
    {
        CoreMapKind.Orthogonal => MapKind.Orthogonal,
        CoreMapKind.CanonicalQ => MapKind.CanonicalQ,
        CoreMapKind.Affine => MapKind.Affine,
        CoreMapKind.LambdaOrthogonal => MapKind.LambdaOrthogonal,
        CoreMapKind.OrthogonalExtend => MapKind.OrthogonalExtend,
        CoreMapKind.External => MapKind.External,
        CoreMapKind.ResidualMlp => MapKind.ResidualMlp,
        CoreMapKind.RankingAdapter => MapKind.RankingAdapter,
        CoreMapKind.Auto => MapKind.Auto,
        CoreMapKind.TwoSided => MapKind.TwoSided,
        _ => MapKind.Unspecified,
    };
}
