using System.Globalization;
using Retrieval.Core.Maps;

namespace Retrieval.Engine.Maps;

/// <summary>The honest one-line explanation of a gate outcome, with the figures it compared.</summary>
public static class GateReason
{
    public static string Describe(MapReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Gate == GateOutcome.NotEvaluated || report.Evaluation is not { } scores)
        {
            return "not evaluated: no evaluation set was supplied, so compatibility with old→old retrieval is unknown";
        }

        var mapped = scores.NewToOldMapped.Get(report.GateMetric);
        var old = scores.OldToOld.Get(report.GateMetric);
        return report.Gate == GateOutcome.Passed
            ? string.Create(CultureInfo.InvariantCulture, $"passed: mapped new→old {Name(report.GateMetric)} {mapped:F4} ≥ old→old {old:F4} on {scores.QueryCount} queries")
            : string.Create(CultureInfo.InvariantCulture, $"failed: mapped new→old {Name(report.GateMetric)} {mapped:F4} < old→old {old:F4} on {scores.QueryCount} queries ({mapped / Math.Max(old, 1e-12):P0} of old→old)");
    }

    private static string Name(GateMetric metric) => metric switch
    {
        GateMetric.RecallAt1 => "recall@1",
        GateMetric.RecallAt10 => "recall@10",
        _ => "mAP@10",
    };
}
