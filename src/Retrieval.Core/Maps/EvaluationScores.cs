namespace Retrieval.Core.Maps;

/// <summary>Scores on a supplied evaluation set (queries embedded by both models, one gallery of items).</summary>
/// <param name="QueryCount">Number of evaluation queries.</param>
/// <param name="OldToOld">Old-model queries against the old gallery: the bar a map has to reach.</param>
/// <param name="NewToOldUnmapped">New-model queries used directly against the old gallery; null when the dimensions differ.</param>
/// <param name="NewToOldMapped">New-model queries through the map against the old gallery.</param>
public sealed record EvaluationScores(int QueryCount, RetrievalScores OldToOld, RetrievalScores? NewToOldUnmapped, RetrievalScores NewToOldMapped)
{
    /// <summary>
    /// New-model queries against the same gallery items' new-model vectors: what search scores once every item is
    /// re-embedded, the ceiling a map approaches. Null when the evaluation set carries no new gallery (see
    /// <see cref="EvaluationSet.HasNewGallery"/>). An init property, not a constructor parameter, so reports stored
    /// before it existed still read (as null).
    /// </summary>
    public RetrievalScores? NewToNew { get; init; }
}
