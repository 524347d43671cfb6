namespace Retrieval.Engine.Filtering;

/// <summary>Automatic payload indexes. Bound from <c>Retrieval:Limits:PayloadIndexes</c>.</summary>
public sealed class PayloadIndexOptions
{
    /// <summary>Build and use payload indexes for filtered reads. Default true; false makes every filter scan payloads.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Most payload fields indexed per collection. Default 32. A filter on a further field scans payloads, so a
    /// client that filters on ever new fields cannot grow memory without bound.
    /// </summary>
    public int MaxFields { get; set; } = 32;
}
