using Retrieval.Core.Search;

namespace Retrieval.Core.Tests.Search;

/// <summary>The reference the fast paths are checked against: plain loops in double and a full sort.</summary>
internal static class Naive
{
    public static double Score(ReadOnlySpan<float> q, ReadOnlySpan<float> x, ScoreKind kind)
    {
        var sum = 0.0;
        for (var i = 0; i < q.Length; i++)
        {
            sum += kind == ScoreKind.InnerProduct ? (double)q[i] * x[i] : ((double)q[i] - x[i]) * ((double)q[i] - x[i]);
        }

        return kind == ScoreKind.InnerProduct ? sum : -sum;
    }

    /// <summary>
    /// A bound on the float32 rounding error of a score: the sum of the absolute values of the terms times a
    /// margin of 1e-5 (float32 epsilon is 1.2e-7; a sum of up to 300 terms in 8 lanes loses far less than 80 ulps).
    /// </summary>
    public static double Tolerance(ReadOnlySpan<float> q, ReadOnlySpan<float> x, ScoreKind kind)
    {
        var magnitude = 0.0;
        for (var i = 0; i < q.Length; i++)
        {
            magnitude += kind == ScoreKind.InnerProduct ? Math.Abs((double)q[i] * x[i]) : ((double)q[i] - x[i]) * ((double)q[i] - x[i]);
        }

        return (1e-5 * magnitude) + 1e-6;
    }

    /// <summary>All selected rows sorted best first (ties by lower row), truncated to k.</summary>
    public static ScoredRow[] TopK(IEnumerable<ScoredRow> candidates, int k) =>
        [.. candidates.OrderByDescending(c => c.Score).ThenBy(c => c.Row).Take(k)];

    public static ScoredRow[] Search(FlatVectorStorage rows, ReadOnlySpan<float> query, int k, ScoreKind kind, RowFilter? filter)
    {
        var candidates = new List<ScoredRow>();
        for (var r = 0; r < rows.Count; r++)
        {
            if (filter is null || filter.Contains(r))
            {
                candidates.Add(new ScoredRow(r, (float)Score(query, rows.Row(r), kind)));
            }
        }

        return TopK(candidates, k);
    }
}
