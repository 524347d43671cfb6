namespace Retrieval.Core.Search;

/// <summary>A search hit by row number. Ordering: higher score first, ties broken by lower row.</summary>
public readonly record struct ScoredRow(int Row, float Score)
{
    /// <summary>True when this hit ranks before <paramref name="other"/>.</summary>
    public bool RanksBefore(ScoredRow other) => Score > other.Score || (Score == other.Score && Row < other.Row);
}
