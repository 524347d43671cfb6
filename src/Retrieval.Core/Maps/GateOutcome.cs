namespace Retrieval.Core.Maps;

/// <summary>The BCT compatibility gate (Shen et al. 2020): does a mapped new query do at least as well on the old gallery as an old query?</summary>
public enum GateOutcome
{
    /// <summary>No evaluation set was supplied.</summary>
    NotEvaluated = 0,

    /// <summary>Mapped new→old ≥ old→old on the gate metric.</summary>
    Passed = 1,

    /// <summary>Mapped new→old &lt; old→old on the gate metric.</summary>
    Failed = 2,
}
