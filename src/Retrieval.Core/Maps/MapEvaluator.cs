using System.Numerics.Tensors;
using Retrieval.Core.Model;

namespace Retrieval.Core.Maps;

/// <summary>The measurements of a <see cref="MapReport"/>, each usable on its own.</summary>
public static class MapEvaluator
{
    /// <summary>
    /// Identification on held-out anchors: each mapped new vector (its compatible prefix) is a query, all held-out old
    /// vectors the gallery, its own old vector the one relevant item. Also the mean cosine(mapped, old).
    /// </summary>
    public static (double RecallAt1, double RecallAt10, double MeanCosine) HeldOut(CompatibilityMap map, AnchorSet heldOut, Metric metric)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(heldOut);
        var mapped = Prefix(map.ApplyBatch(heldOut.New, heldOut.Count), map.OutputDimension, map.CompatiblePrefix);
        var old = heldOut.Old.ToArray();
        var d = heldOut.OldDimension;
        var cosine = 0d;
        for (var i = 0; i < heldOut.Count; i++)
        {
            cosine += TensorPrimitives.CosineSimilarity(mapped.AsSpan(i * d, d), old.AsSpan(i * d, d));
        }

        var relevant = Enumerable.Range(0, heldOut.Count).Select(i => new[] { i }).ToArray();
        var scores = RankingEvaluator.Evaluate(mapped, old, d, relevant, metric);
        return (scores.RecallAt1, scores.RecallAt10, cosine / Math.Max(1, heldOut.Count));
    }

    /// <summary>
    /// Neighbourhood agreement on held-out anchors, the query-like task the identification figure cannot show: each held-out
    /// anchor's mapped new vector is a query over the <paramref name="reference"/> anchors' old vectors, and the relevant
    /// items are the <paramref name="k"/> reference anchors nearest to it in the NEW space. Recall@k is the share of those
    /// the mapped query finds in its top k, i.e. how much of the new model's ranking survives the map into the old space.
    /// Unlike identification (is an anchor's own old vector near its mapped vector?), it does not saturate when the two
    /// spaces embed the same items alike, and it penalises maps that fit the anchors themselves but flatten their
    /// neighbourhoods (a ridge fit shrinking towards the mean). Both rankings use <paramref name="metric"/>.
    /// </summary>
    public static double NeighbourAgreement(CompatibilityMap map, AnchorSet heldOut, AnchorSet reference, Metric metric, int k = 10)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(heldOut);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (heldOut.Count == 0 || reference.Count == 0)
        {
            return 0;
        }

        var wanted = Nearest(heldOut.New.ToArray(), reference.New.ToArray(), heldOut.NewDimension, Math.Min(k, reference.Count), metric);
        var mapped = Prefix(map.ApplyBatch(heldOut.New, heldOut.Count), map.OutputDimension, map.CompatiblePrefix);
        var found = Nearest(mapped, reference.Old.ToArray(), heldOut.OldDimension, wanted[0].Length, metric);
        var overlap = 0d;
        for (var i = 0; i < wanted.Length; i++)
        {
            overlap += found[i].Intersect(wanted[i]).Count() / (double)wanted[i].Length;
        }

        return overlap / wanted.Length;
    }

    /// <summary>The <paramref name="k"/> gallery rows scoring highest for each query (ties to the lower row, so results are deterministic).</summary>
    private static int[][] Nearest(float[] queries, float[] gallery, int dimension, int k, Metric metric)
    {
        if (metric == Metric.Cosine)
        {
            queries = RankingEvaluator.NormalizedRows(queries, dimension);
            gallery = RankingEvaluator.NormalizedRows(gallery, dimension);
        }

        var queryCount = queries.Length / dimension;
        var galleryCount = gallery.Length / dimension;
        var result = new int[queryCount][];
        Parallel.For(0, queryCount, q =>
        {
            var query = queries.AsSpan(q * dimension, dimension);
            var scores = new float[galleryCount];
            for (var g = 0; g < galleryCount; g++)
            {
                var row = gallery.AsSpan(g * dimension, dimension);
                scores[g] = metric == Metric.L2 ? -TensorPrimitives.Distance(query, row) : TensorPrimitives.Dot(query, row);
            }

            result[q] = Enumerable.Range(0, galleryCount).OrderByDescending(g => scores[g]).ThenBy(g => g).Take(k).ToArray();
        });
        return result;
    }

    /// <summary>
    /// <c>‖WᵀW − I‖_F</c> of the linear part in double; when <c>d_in &lt; d_out</c> the columns cannot be orthonormal and
    /// <c>‖WWᵀ − I‖_F</c> (orthonormal rows) is measured instead.
    /// </summary>
    public static double OrthogonalityError(CompatibilityMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var w = DoubleMatrix.FromRowMajor(map.Weights, map.InputDimension, map.OutputDimension);
        var gram = map.InputDimension >= map.OutputDimension ? w.TransposeThisAndMultiply(w) : w.TransposeAndMultiply(w);
        for (var i = 0; i < gram.RowCount; i++)
        {
            gram[i, i] -= 1;
        }

        return DoubleMatrix.FrobeniusNorm(gram);
    }

    /// <summary>
    /// old→old, new→old unmapped (equal dimensions only), new→old mapped and, when the set carries the gallery's new
    /// vectors, new→new on an evaluation set. <paramref name="metric"/> is the old space's (the one searched through the map).
    /// </summary>
    public static EvaluationScores Evaluate(CompatibilityMap map, EvaluationSet evaluation, Metric metric)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(evaluation);
        var d = evaluation.OldDimension;
        var relevant = evaluation.RelevantArray;
        var oldToOld = RankingEvaluator.Evaluate(evaluation.OldQueryArray, evaluation.GalleryArray, d, relevant, metric);
        var unmapped = evaluation.NewDimension == d
            ? RankingEvaluator.Evaluate(evaluation.NewQueryArray, evaluation.GalleryArray, d, relevant, metric)
            : null;
        var mapped = Prefix(map.ApplyBatch(evaluation.NewQueries, evaluation.QueryCount), map.OutputDimension, map.CompatiblePrefix);
        var newToOld = RankingEvaluator.Evaluate(mapped, evaluation.GalleryArray, d, relevant, metric);

        // New→new ranks with the new space's own metric: the figure is what searching that space will score.
        var newToNew = evaluation.NewGalleryArray is { } newGallery
            ? RankingEvaluator.Evaluate(evaluation.NewQueryArray, newGallery, evaluation.NewDimension, relevant, evaluation.NewMetric)
            : null;
        return new EvaluationScores(evaluation.QueryCount, oldToOld, unmapped, newToOld) { NewToNew = newToNew };
    }

    /// <summary>The BCT gate: passed when mapped new→old ≥ old→old on <paramref name="metric"/>; not evaluated without scores.</summary>
    public static GateOutcome Gate(EvaluationScores? scores, GateMetric metric) =>
        scores is null ? GateOutcome.NotEvaluated
        : scores.NewToOldMapped.Get(metric) >= scores.OldToOld.Get(metric) ? GateOutcome.Passed
        : GateOutcome.Failed;

    /// <summary>The first <paramref name="prefix"/> columns of each row (the array itself when nothing is cut).</summary>
    private static float[] Prefix(float[] rows, int dimension, int prefix)
    {
        if (prefix == dimension)
        {
            return rows;
        }

        var count = rows.Length / dimension;
        var result = new float[count * prefix];
        for (var i = 0; i < count; i++)
        {
            rows.AsSpan(i * dimension, prefix).CopyTo(result.AsSpan(i * prefix));
        }

        return result;
    }
}
