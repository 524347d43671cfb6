using Retrieval.Core.Errors;

namespace Retrieval.Core.Maps;

/// <summary>
/// Queries embedded by both models with their relevant gallery rows, and the gallery's old-model vectors:
/// row q of <see cref="NewQueries"/> (<c>q × d_n</c>) and of <see cref="OldQueries"/> (<c>q × d_o</c>) are the same query;
/// <see cref="RelevantRows"/>[q] lists rows of <see cref="Gallery"/> (<c>m × d_o</c>) relevant to it.
/// </summary>
public sealed class EvaluationSet
{
    private readonly float[] _newQueries;
    private readonly float[] _oldQueries;
    private readonly float[] _gallery;
    private readonly int[][] _relevant;

    /// <summary>Creates and validates an evaluation set (field <c>evaluation</c> on errors).</summary>
    public EvaluationSet(ReadOnlySpan<float> newQueries, int newDimension, ReadOnlySpan<float> oldQueries, ReadOnlySpan<float> gallery, int oldDimension, IReadOnlyList<IReadOnlyList<int>> relevantRows)
    {
        ArgumentNullException.ThrowIfNull(relevantRows);
        if (newDimension <= 0 || oldDimension <= 0 || newQueries.Length % newDimension != 0 || oldQueries.Length % oldDimension != 0 || gallery.Length % oldDimension != 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("evaluation"), "vector data is not a whole number of rows of positive dimension");
        }

        QueryCount = newQueries.Length / newDimension;
        GalleryCount = gallery.Length / oldDimension;
        if (oldQueries.Length / oldDimension != QueryCount || relevantRows.Count != QueryCount)
        {
            throw RetrievalException.Invalid(FieldPath.Of("evaluation"), $"{QueryCount} new queries, {oldQueries.Length / oldDimension} old queries and {relevantRows.Count} relevance lists must agree");
        }

        MapChecks.Finite(newQueries, FieldPath.Of("evaluation").Member("newQueries"));
        MapChecks.Finite(oldQueries, FieldPath.Of("evaluation").Member("oldQueries"));
        MapChecks.Finite(gallery, FieldPath.Of("evaluation").Member("gallery"));
        _relevant = new int[QueryCount][];
        for (var q = 0; q < QueryCount; q++)
        {
            var rows = relevantRows[q].Distinct().ToArray();
            if (rows.Length == 0 || rows.Any(r => r < 0 || r >= GalleryCount))
            {
                throw RetrievalException.Invalid(FieldPath.Of("evaluation").Member("relevant"), $"query {q} needs at least one relevant row within [0, {GalleryCount})");
            }

            _relevant[q] = rows;
        }

        NewDimension = newDimension;
        OldDimension = oldDimension;
        _newQueries = newQueries.ToArray();
        _oldQueries = oldQueries.ToArray();
        _gallery = gallery.ToArray();
    }

    /// <summary>Number of queries.</summary>
    public int QueryCount { get; }

    /// <summary>Number of gallery items.</summary>
    public int GalleryCount { get; }

    /// <summary><c>d_n</c>.</summary>
    public int NewDimension { get; }

    /// <summary><c>d_o</c>.</summary>
    public int OldDimension { get; }

    /// <summary>New-model query vectors, row-major.</summary>
    public ReadOnlySpan<float> NewQueries => _newQueries;

    /// <summary>Old-model query vectors, row-major.</summary>
    public ReadOnlySpan<float> OldQueries => _oldQueries;

    /// <summary>Old-model gallery vectors, row-major.</summary>
    public ReadOnlySpan<float> Gallery => _gallery;

    /// <summary>Relevant gallery rows per query.</summary>
    public IReadOnlyList<IReadOnlyList<int>> RelevantRows => _relevant;

    internal float[] GalleryArray => _gallery;

    internal float[] OldQueryArray => _oldQueries;

    internal float[] NewQueryArray => _newQueries;

    internal int[][] RelevantArray => _relevant;
}
