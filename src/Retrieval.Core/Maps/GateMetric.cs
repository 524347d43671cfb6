namespace Retrieval.Core.Maps;

/// <summary>The retrieval metric the BCT compatibility gate compares.</summary>
public enum GateMetric
{
    /// <summary>Recall@1.</summary>
    RecallAt1 = 1,

    /// <summary>Recall@10.</summary>
    RecallAt10 = 2,

    /// <summary>Mean average precision over the top 10.</summary>
    MapAt10 = 3,
}
