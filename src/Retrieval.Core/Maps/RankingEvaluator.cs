using System.Numerics.Tensors;
using Retrieval.Core.Model;

namespace Retrieval.Core.Maps;

/// <summary>
/// Brute-force ranking metrics. The rank of a relevant item is the number of gallery items scoring strictly higher
/// (ties resolved in the query's favour, as in the data sets' reference numbers); recall@k counts relevant items with
/// rank &lt; k. Plain <see cref="TensorPrimitives"/> loops, queries in parallel.
/// </summary>
public static class RankingEvaluator
{
    /// <summary>Scores row-major <paramref name="queries"/> against <paramref name="gallery"/> (both of dimension <paramref name="dimension"/>).</summary>
    /// <param name="queries">Query vectors, <c>q × dimension</c>.</param>
    /// <param name="gallery">Gallery vectors, <c>m × dimension</c>.</param>
    /// <param name="dimension">Vector dimension.</param>
    /// <param name="relevant">Relevant gallery rows per query.</param>
    /// <param name="metric">Inner product, cosine (both sides normalized here) or L2 (score = −‖q − g‖²).</param>
    public static RetrievalScores Evaluate(float[] queries, float[] gallery, int dimension, IReadOnlyList<int[]> relevant, Metric metric)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(gallery);
        ArgumentNullException.ThrowIfNull(relevant);
        var queryCount = queries.Length / dimension;
        if (queryCount == 0)
        {
            return new RetrievalScores(0, 0, 0);
        }

        if (metric == Metric.Cosine)
        {
            queries = NormalizedRows(queries, dimension);
            gallery = NormalizedRows(gallery, dimension);
        }

        var galleryCount = gallery.Length / dimension;
        var r1 = new double[queryCount];
        var r10 = new double[queryCount];
        var ap10 = new double[queryCount];
        Parallel.For(0, queryCount, () => new float[galleryCount], (q, _, scores) =>
        {
            var query = queries.AsSpan(q * dimension, dimension);
            for (var g = 0; g < galleryCount; g++)
            {
                var row = gallery.AsSpan(g * dimension, dimension);
                scores[g] = metric == Metric.L2 ? -SquaredDistance(query, row) : TensorPrimitives.Dot(query, row);
            }

            var ranks = relevant[q].Select(r => RankOf(scores, scores[r])).Order().ToArray();
            r1[q] = ranks.Count(r => r < 1) / (double)Math.Min(1, ranks.Length);
            r10[q] = ranks.Count(r => r < 10) / (double)Math.Min(10, ranks.Length);

            // The i-th relevant item (1-based) at 0-based rank ρ contributes precision i/(ρ + 1).
            var sum = 0d;
            for (var i = 0; i < ranks.Length && ranks[i] < 10; i++)
            {
                sum += (i + 1) / (double)(ranks[i] + 1);
            }

            ap10[q] = sum / Math.Min(10, ranks.Length);
            return scores;
        }, _ => { });

        return new RetrievalScores(r1.Average(), r10.Average(), ap10.Average());
    }

    /// <summary>Unit-length copies of the rows (zero rows stay zero).</summary>
    public static float[] NormalizedRows(float[] rows, int dimension)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var result = new float[rows.Length];
        for (var offset = 0; offset < rows.Length; offset += dimension)
        {
            var source = rows.AsSpan(offset, dimension);
            var norm = TensorPrimitives.Norm(source);
            if (norm > 0)
            {
                TensorPrimitives.Divide(source, norm, result.AsSpan(offset, dimension));
            }
        }

        return result;
    }

    private static int RankOf(float[] scores, float score)
    {
        var higher = 0;
        foreach (var s in scores)
        {
            if (s > score)
            {
                higher++;
            }
        }

        return higher;
    }

    private static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var d = TensorPrimitives.Distance(a, b);
        return d * d;
    }
}
