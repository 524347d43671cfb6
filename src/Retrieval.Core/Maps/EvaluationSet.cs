using Retrieval.Core.Errors;
using Retrieval.Core.Model;

namespace Retrieval.Core.Maps;

/// <summary>
/// Queries embedded by both models with their relevant gallery rows, and the gallery's old-model vectors:
/// row q of <see cref="NewQueries"/> (<c>q × d_n</c>) and of <see cref="OldQueries"/> (<c>q × d_o</c>) are the same query;
/// <see cref="RelevantRows"/>[q] lists rows of <see cref="Gallery"/> (<c>m × d_o</c>) relevant to it. Optionally the
/// same items' new-model vectors, <see cref="NewGallery"/> (<c>m × d_n</c>): row r of both galleries is the same item, so
/// new→new ranks exactly the items old→old and mapped new→old rank and the three figures compare.
/// </summary>
public sealed class EvaluationSet
{
    private readonly float[] _newQueries;
    private readonly float[] _oldQueries;
    private readonly float[] _gallery;
    private readonly float[]? _newGallery;
    private readonly int[][] _relevant;

    /// <summary>Creates and validates an evaluation set without new-model gallery vectors (field <c>evaluation</c> on errors).</summary>
    public EvaluationSet(ReadOnlySpan<float> newQueries, int newDimension, ReadOnlySpan<float> oldQueries, ReadOnlySpan<float> gallery, int oldDimension, IReadOnlyList<IReadOnlyList<int>> relevantRows)
        : this(newQueries, newDimension, oldQueries, gallery, oldDimension, relevantRows, newGallery: null, Metric.Cosine)
    {
    }

    /// <summary>
    /// Creates and validates an evaluation set whose gallery items also carry their new-model vectors:
    /// <paramref name="newGallery"/> row r (<c>d_n</c> floats) is the item of <paramref name="gallery"/> row r, ranked
    /// with <paramref name="newMetric"/>, the new space's own metric.
    /// </summary>
    public EvaluationSet(ReadOnlySpan<float> newQueries, int newDimension, ReadOnlySpan<float> oldQueries, ReadOnlySpan<float> gallery, int oldDimension, IReadOnlyList<IReadOnlyList<int>> relevantRows, ReadOnlySpan<float> newGallery, Metric newMetric)
        : this(newQueries, newDimension, oldQueries, gallery, oldDimension, relevantRows, newGallery.ToArray(), newMetric)
    {
    }

    private EvaluationSet(ReadOnlySpan<float> newQueries, int newDimension, ReadOnlySpan<float> oldQueries, ReadOnlySpan<float> gallery, int oldDimension, IReadOnlyList<IReadOnlyList<int>> relevantRows, float[]? newGallery, Metric newMetric)
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
        if (newGallery is not null)
        {
            if (newGallery.Length != GalleryCount * newDimension)
            {
                throw RetrievalException.Invalid(FieldPath.Of("evaluation").Member("newGallery"), $"{newGallery.Length} floats are not the {GalleryCount} gallery items × new dimension {newDimension}");
            }

            MapChecks.Finite(newGallery, FieldPath.Of("evaluation").Member("newGallery"));
        }

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
        _newGallery = newGallery;
        NewMetric = newMetric;
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

    /// <summary>Whether <see cref="NewGallery"/> was given (new→new is measured only then).</summary>
    public bool HasNewGallery => _newGallery is not null;

    /// <summary>New-model vectors of the gallery items, row-major, row r the item of <see cref="Gallery"/> row r; empty when not given.</summary>
    public ReadOnlySpan<float> NewGallery => _newGallery;

    /// <summary>The metric new→new ranks <see cref="NewGallery"/> with (meaningless without one).</summary>
    public Metric NewMetric { get; }

    /// <summary>Relevant gallery rows per query.</summary>
    public IReadOnlyList<IReadOnlyList<int>> RelevantRows => _relevant;

    internal float[] GalleryArray => _gallery;

    internal float[]? NewGalleryArray => _newGallery;

    internal float[] OldQueryArray => _oldQueries;

    internal float[] NewQueryArray => _newQueries;

    internal int[][] RelevantArray => _relevant;
}
