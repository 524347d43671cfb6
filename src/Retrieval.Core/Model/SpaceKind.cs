namespace Retrieval.Core.Model;

/// <summary>What one item holds in a space: one vector, or a matrix of token vectors (DESIGN §3, §6).</summary>
public enum SpaceKind
{
    /// <summary>One vector of the space's dimension per item.</summary>
    Dense = 0,

    /// <summary>
    /// An n × d matrix of token vectors per item (ColBERT-style), compared by Chamfer (MaxSim) and searched through
    /// MUVERA fixed dimensional encodings plus an exact rerank.
    /// </summary>
    Multi = 1,
}
