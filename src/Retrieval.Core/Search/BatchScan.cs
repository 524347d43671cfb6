using Retrieval.Core.Search.Kernels;

namespace Retrieval.Core.Search;

/// <summary>
/// Many queries against all rows, blocked like a GEMM: the outer loop walks 64-row blocks (about 200 KB at
/// d = 768, so a block stays in L2 while every query visits it), the inner loop takes the queries four at a time
/// through the 4 × 4 register tile. Each row is read from memory once per range whatever the number of queries.
/// </summary>
/// <remarks>
/// Parallel over row ranges when the collection is large (per-range TopKs, merged per query), otherwise over
/// groups of queries (each query's TopK is owned by one worker, nothing to merge).
/// </remarks>
internal static unsafe class BatchScan<TKernel>
    where TKernel : struct, IScoreKernel
{
    private const int BlockRows = 64;

    public static ScoredRow[][] Run(FlatVectorStorage rows, ReadOnlySpan<float> queries, int queryCount, int k, RowFilter? filter, ExactSearchOptions options)
    {
        var count = rows.Count;
        var capacity = Math.Min(k, count);
        var threads = options.EffectiveParallelism;
        fixed (float* q = queries)
        fixed (float* x = rows.RawData)
        {
            var scan = new Scan((nint)q, (nint)x, rows.Dimension, filter);
            var parallel = threads > 1 && (long)queryCount * count >= options.ParallelThreshold;
            if (parallel && count >= options.ParallelThreshold)
            {
                return ByRowRanges(scan, queryCount, count, capacity, threads);
            }

            var tops = NewTops(queryCount, capacity);
            if (parallel && queryCount > 4)
            {
                // Groups of whole 4-query tiles, a few per thread for balance.
                var tiles = (queryCount + 3) / 4;
                var groups = Math.Min(tiles, threads * 4);
                Parallel.For(0, groups, new ParallelOptions { MaxDegreeOfParallelism = threads }, g =>
                {
                    var first = (int)((long)tiles * g / groups) * 4;
                    var last = Math.Min((int)((long)tiles * (g + 1) / groups) * 4, queryCount);
                    scan.Range(first, last, 0, count, tops);
                });
            }
            else
            {
                scan.Range(0, queryCount, 0, count, tops);
            }

            return ToResults(tops);
        }
    }

    private static ScoredRow[][] ByRowRanges(Scan scan, int queryCount, int count, int capacity, int threads)
    {
        var ranges = RowRanges.Split(count, threads * 2);
        var partials = new TopK[ranges.Length][];
        Parallel.For(0, ranges.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, p =>
        {
            var tops = NewTops(queryCount, capacity);
            scan.Range(0, queryCount, ranges[p].Start, ranges[p].End, tops);
            partials[p] = tops;
        });

        for (var p = 1; p < partials.Length; p++)
        {
            for (var i = 0; i < queryCount; i++)
            {
                partials[0][i].Merge(partials[p][i]);
            }
        }

        return ToResults(partials[0]);
    }

    private static TopK[] NewTops(int queryCount, int capacity)
    {
        var tops = new TopK[queryCount];
        for (var i = 0; i < tops.Length; i++)
        {
            tops[i] = new TopK(capacity);
        }

        return tops;
    }

    private static ScoredRow[][] ToResults(TopK[] tops)
    {
        var results = new ScoredRow[tops.Length][];
        for (var i = 0; i < tops.Length; i++)
        {
            results[i] = tops[i].ToSortedArray();
        }

        return results;
    }

    /// <summary>The pinned inputs of one batch (addresses as nint so that parallel lambdas may capture them).</summary>
    private readonly struct Scan(nint queries, nint rows, int dim, RowFilter? filter)
    {
        /// <summary>Queries [qStart, qEnd) against rows [rowStart, rowEnd) (rowStart a multiple of 64) into tops[query].</summary>
        public void Range(int qStart, int qEnd, int rowStart, int rowEnd, TopK[] tops)
        {
            // One row of 64 scores per query of the tile.
            var scores = stackalloc float[4 * BlockRows];
            for (var block = rowStart; block < rowEnd; block += BlockRows)
            {
                var n = Math.Min(BlockRows, rowEnd - block);
                var valid = n == BlockRows ? ulong.MaxValue : (1UL << n) - 1;
                var mask = filter is null ? valid : filter.Word(block >> 6) & valid;
                if (mask == 0)
                {
                    continue;
                }

                var x = (float*)rows + ((nint)block * dim);
                var qi = qStart;
                for (; qi <= qEnd - 4; qi += 4)
                {
                    ScoreTile((float*)queries + ((nint)qi * dim), x, n, mask, scores);
                    for (var j = 0; j < 4; j++)
                    {
                        tops[qi + j].AddBlock(new ReadOnlySpan<float>(scores + (j * BlockRows), n), block, mask);
                    }
                }

                for (; qi < qEnd; qi++)
                {
                    RowBlockScorer<TKernel>.ScoreSelected((float*)queries + ((nint)qi * dim), x, dim, n, mask, scores);
                    tops[qi].AddBlock(new ReadOnlySpan<float>(scores, n), block, mask);
                }
            }
        }

        /// <summary>Four queries against up to 64 rows; 4-row groups with no selected row are skipped.</summary>
        private void ScoreTile(float* q, float* x, int n, ulong mask, float* scores)
        {
            var r = 0;
            for (; r <= n - 4; r += 4)
            {
                if (((mask >> r) & 0xF) != 0)
                {
                    TKernel.Score4x4(q, dim, x + ((nint)r * dim), dim, dim, scores + r, BlockRows);
                }
            }

            for (; r < n; r++)
            {
                for (var j = 0; j < 4; j++)
                {
                    scores[(j * BlockRows) + r] = TKernel.Score(q + ((nint)j * dim), x + ((nint)r * dim), dim);
                }
            }
        }
    }
}
