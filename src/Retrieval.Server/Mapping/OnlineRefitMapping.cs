using Google.Protobuf.WellKnownTypes;
using Retrieval.Engine.Migrations;
using WireSettings = Retrieval.Contracts.V1.OnlineRefitSettings;

namespace Retrieval.Server.Mapping;

/// <summary>Online refit (issue 18) between the wire and the engine: settings, status and the report of each refit.</summary>
internal static class OnlineRefitMapping
{
    /// <summary>Zero wire values take the engine's defaults; the engine validates the rest (field <c>settings.refit.*</c>).</summary>
    public static OnlineRefitSettings ToSettings(WireSettings? wire)
    {
        var defaults = new OnlineRefitSettings();
        if (wire is null)
        {
            return defaults;
        }

        return new OnlineRefitSettings
        {
            Enabled = !wire.Disabled,
            EveryPairs = wire.EveryPairs == 0 ? defaults.EveryPairs : wire.EveryPairs,
            EverySeconds = wire.HasEverySeconds ? wire.EverySeconds : defaults.EverySeconds,
            HeldOutFraction = wire.HeldOutFraction == 0 ? defaults.HeldOutFraction : wire.HeldOutFraction,
            MaxHeldOutPairs = wire.MaxHeldOutPairs == 0 ? defaults.MaxHeldOutPairs : wire.MaxHeldOutPairs,
            PromotionMargin = wire.HasPromotionMargin ? wire.PromotionMargin : defaults.PromotionMargin,
            ReservoirSize = wire.ReservoirSize == 0 ? defaults.ReservoirSize : wire.ReservoirSize,
        };
    }

    public static WireSettings ToProto(OnlineRefitSettings settings) => new()
    {
        Disabled = !settings.Enabled,
        EveryPairs = settings.EveryPairs,
        EverySeconds = settings.EverySeconds,
        HeldOutFraction = settings.HeldOutFraction,
        MaxHeldOutPairs = settings.MaxHeldOutPairs,
        PromotionMargin = settings.PromotionMargin,
        ReservoirSize = settings.ReservoirSize,
    };

    public static Contracts.V1.OnlineRefitStatus ToProto(OnlineRefitStatus status, OnlineRefitState? state)
    {
        var proto = new Contracts.V1.OnlineRefitStatus
        {
            MapVersion = status.MapVersion,
            MapId = status.MapId ?? "",
            StatisticsPairs = status.StatisticsPairs,
            HeldOutPairs = status.HeldOutPairs,
            ReservoirPairs = status.ReservoirPairs,
            Serving = status.ServingFigures is { } serving ? ToProto(serving) : null,
            NextRefitAtPairs = status.NextRefitAtPairs,
            NextRefitAt = status.NextRefitAt is { } at ? Timestamp.FromDateTimeOffset(at) : null,
        };
        foreach (var report in state?.Refits ?? [])
        {
            proto.Refits.Add(new Contracts.V1.MapVersionReport
            {
                Version = report.Version,
                MapId = report.MapId ?? "",
                Promoted = report.Promoted,
                At = Timestamp.FromDateTimeOffset(report.At),
                Kind = MapMapping.ToProto(report.Kind),
                FitPairs = report.FitPairs,
                HeldOutPairs = report.HeldOutPairs,
                Candidate = ToProto(report.Candidate),
                Serving = ToProto(report.Serving),
                Seconds = report.Seconds,
                Reason = report.Reason,
            });
        }

        return proto;
    }

    private static Contracts.V1.HeldOutFigures ToProto(HeldOutFigures figures)
    {
        var proto = new Contracts.V1.HeldOutFigures
        {
            IdentificationRecallAt1 = figures.IdentificationRecallAt1,
            IdentificationRecallAt10 = figures.IdentificationRecallAt10,
            NeighbourRecallAt10 = figures.NeighbourRecallAt10,
            MeanCosine = figures.MeanCosine,
            // NaN is not a wire value: a candidate that could not be fitted scores nothing.
            Score = double.IsFinite(figures.Score) ? figures.Score : 0,
        };
        if (figures.EvaluationRecallAt10 is { } evaluated)
        {
            proto.EvaluationRecallAt10 = evaluated;
        }

        return proto;
    }
}
