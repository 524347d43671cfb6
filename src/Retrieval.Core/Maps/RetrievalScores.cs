namespace Retrieval.Core.Maps;

/// <summary>Ranking quality of one query→gallery setting, each a mean over queries in <c>[0, 1]</c>.</summary>
/// <param name="RecallAt1">Share of relevant items in the top 1, over <c>min(1, |relevant|)</c>.</param>
/// <param name="RecallAt10">Share of relevant items in the top 10, over <c>min(10, |relevant|)</c>.</param>
/// <param name="MapAt10">Mean average precision at 10: <c>Σ_{hits i ≤ 10} precision@i / min(10, |relevant|)</c>.</param>
public sealed record RetrievalScores(double RecallAt1, double RecallAt10, double MapAt10)
{
    /// <summary>The value of one gate metric.</summary>
    public double Get(GateMetric metric) => metric switch
    {
        GateMetric.RecallAt1 => RecallAt1,
        GateMetric.RecallAt10 => RecallAt10,
        _ => MapAt10,
    };
}
