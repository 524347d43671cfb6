using CsCheck;
using Retrieval.Core.Search;

namespace Retrieval.Core.Tests.Search;

/// <summary>ExactSearch against the naive sort, and SearchBatch against Search, on every execution path.</summary>
public sealed class ExactSearchTests
{
    [Fact]
    public void Search_IntegerVectors_EqualsNaiveSortExactly()
    {
        DeterministicSample.Run(SearchCase.Integers(maxDim: 40, maxRows: 300), c =>
        {
            for (var i = 0; i < c.QueryCount; i++)
            {
                var expected = Naive.Search(c.Rows, c.Query(i), c.K, c.Kind, c.Filter);
                Assert.Equal(expected, ExactSearch.Search(c.Rows, c.Query(i), c.K, c.Kind, c.Filter, c.Options));
            }
        }, count: 300);
    }

    [Fact]
    public void Search_ContinuousVectors_WithinToleranceOfNaive()
    {
        DeterministicSample.Run(SearchCase.Continuous(maxDim: 300, maxRows: 200), c =>
        {
            for (var i = 0; i < c.QueryCount; i++)
            {
                var query = c.Query(i);
                var result = ExactSearch.Search(c.Rows, query, c.K, c.Kind, c.Filter, c.Options);
                var eligible = Enumerable.Range(0, c.Rows.Count).Where(r => c.Filter is null || c.Filter.Contains(r)).ToArray();
                Assert.Equal(Math.Min(c.K, eligible.Length), result.Length);
                Assert.Equal(result.Length, result.Select(h => h.Row).Distinct().Count());

                // Each returned score is the row's true score up to rounding, and the order is best first.
                foreach (var hit in result)
                {
                    Assert.Contains(hit.Row, eligible);
                    var row = c.Rows.Row(hit.Row);
                    Assert.True(Math.Abs(hit.Score - Naive.Score(query, row, c.Kind)) <= Naive.Tolerance(query, row, c.Kind), c.ToString());
                }

                for (var j = 1; j < result.Length; j++)
                {
                    Assert.True(result[j - 1].RanksBefore(result[j]), c.ToString());
                }

                // Nothing left out beats the worst kept row by more than the rounding of both scores.
                if (result.Length > 0)
                {
                    var worst = result[^1];
                    var worstTrue = Naive.Score(query, c.Rows.Row(worst.Row), c.Kind);
                    var worstTolerance = Naive.Tolerance(query, c.Rows.Row(worst.Row), c.Kind);
                    foreach (var r in eligible.Except(result.Select(h => h.Row)))
                    {
                        var row = c.Rows.Row(r);
                        Assert.True(Naive.Score(query, row, c.Kind) <= worstTrue + worstTolerance + Naive.Tolerance(query, row, c.Kind), c.ToString());
                    }
                }
            }
        }, count: 150);
    }

    [Fact]
    public void SearchBatch_EveryQuery_EqualsSingleSearch()
    {
        var cases = Gen.Select(SearchCase.Integers(maxDim: 40, maxRows: 300), SearchCase.Continuous(maxDim: 300, maxRows: 150), (a, b) => (a, b));
        DeterministicSample.Run(cases, pair =>
        {
            foreach (var c in new[] { pair.a, pair.b })
            {
                var batch = ExactSearch.SearchBatch(c.Rows, c.Queries, c.QueryCount, c.K, c.Kind, c.Filter, c.Options);
                Assert.Equal(c.QueryCount, batch.Length);
                for (var i = 0; i < c.QueryCount; i++)
                {
                    Assert.Equal(ExactSearch.Search(c.Rows, c.Query(i), c.K, c.Kind, c.Filter, c.Options), batch[i]);
                }
            }
        }, count: 200);
    }

    [Theory]
    [InlineData(ScoreKind.InnerProduct)]
    [InlineData(ScoreKind.NegativeSquaredL2)]
    public void Search_LargeCollectionOnDefaultPath_EqualsNaive(ScoreKind kind)
    {
        // Above the default parallel threshold, so row ranges are scanned in parallel and merged.
        var random = new Random(7);
        var rows = new FlatVectorStorage(12, 40_000);
        var vector = new float[12];
        for (var r = 0; r < 40_000; r++)
        {
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] = random.Next(-3, 4);
            }

            rows.Add(vector);
        }

        var queries = new float[5 * 12];
        for (var i = 0; i < queries.Length; i++)
        {
            queries[i] = random.Next(-3, 4);
        }

        var batch = ExactSearch.SearchBatch(rows, queries, 5, 25, kind);
        for (var q = 0; q < 5; q++)
        {
            var query = queries.AsSpan(q * 12, 12);
            var expected = Naive.Search(rows, query, 25, kind, null);
            Assert.Equal(expected, ExactSearch.Search(rows, query, 25, kind));
            Assert.Equal(expected, batch[q]);
        }
    }

    [Fact]
    public void Search_EmptyStorage_ReturnsEmpty()
    {
        var rows = new FlatVectorStorage(3);
        Assert.Empty(ExactSearch.Search(rows, [1f, 2f, 3f], 10, ScoreKind.InnerProduct));
        var batch = ExactSearch.SearchBatch(rows, [1f, 2f, 3f, 4f, 5f, 6f], 2, 10, ScoreKind.NegativeSquaredL2);
        Assert.Equal(2, batch.Length);
        Assert.All(batch, Assert.Empty);
    }

    [Fact]
    public void Search_DuplicateRowsAndKOne_ReturnsLowestRowOfTheTie()
    {
        var rows = new FlatVectorStorage(9);
        float[] best = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        rows.Add([0, 0, 0, 0, 0, 0, 0, 0, 1]);
        rows.Add(best);
        rows.Add([0, 0, 0, 0, 0, 0, 0, 0, 2]);
        rows.Add(best);
        Assert.Equal([new ScoredRow(1, 285f)], ExactSearch.Search(rows, best, 1, ScoreKind.InnerProduct));
        Assert.Equal([new ScoredRow(1, 0f), new ScoredRow(3, 0f)], ExactSearch.Search(rows, best, 2, ScoreKind.NegativeSquaredL2));
    }

    [Fact]
    public void Search_FilterSelectsNothing_ReturnsEmpty()
    {
        var rows = new FlatVectorStorage(2);
        rows.Add([1f, 1f]);
        Assert.Empty(ExactSearch.Search(rows, [1f, 1f], 3, ScoreKind.InnerProduct, new RowFilter(1)));
    }

    [Fact]
    public void Search_InvalidArguments_Throw()
    {
        var rows = new FlatVectorStorage(2);
        rows.Add([1f, 1f]);
        Assert.Throws<ArgumentException>(() => ExactSearch.Search(rows, [1f], 1, ScoreKind.InnerProduct));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExactSearch.Search(rows, [1f, 1f], 0, ScoreKind.InnerProduct));
        Assert.Throws<ArgumentException>(() => ExactSearch.SearchBatch(rows, [1f, 1f], 2, 1, ScoreKind.InnerProduct));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExactSearch.SearchBatch(rows, [1f, 1f], -1, 1, ScoreKind.InnerProduct));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            ExactSearch.Search(rows, [1f, 1f], 1, ScoreKind.InnerProduct, null, new ExactSearchOptions { MaxDegreeOfParallelism = -2 }));
    }
}
