using Retrieval.Core.Search.Kernels;

namespace Retrieval.Core.Search;

/// <summary>
/// One query against all rows: 64-row blocks (one filter word each) scored into a stack buffer, then offered to a
/// bounded <see cref="TopK"/> that rejects rows under its threshold eight at a time. Large collections are split
/// into row ranges scanned in parallel, each with its own TopK, merged at the end.
/// </summary>
internal static unsafe class SingleQueryScan<TKernel>
    where TKernel : struct, IScoreKernel
{
    public static ScoredRow[] Run(FlatVectorStorage rows, ReadOnlySpan<float> query, int k, RowFilter? filter, ExactSearchOptions options)
    {
        var count = rows.Count;
        var capacity = Math.Min(k, count);
        var threads = options.EffectiveParallelism;
        fixed (float* q = query)
        fixed (float* x = rows.RawData)
        {
            var scan = new Scan((nint)q, (nint)x, rows.Dimension, filter);
            if (threads <= 1 || count < options.ParallelThreshold)
            {
                var top = new TopK(capacity);
                scan.Range(0, count, top);
                return top.ToSortedArray();
            }

            // More ranges than threads, so that a thread slowed by a neighbour does not hold up the search.
            var ranges = RowRanges.Split(count, threads * 4);
            var tops = new TopK[ranges.Length];
            Parallel.For(0, ranges.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, p =>
            {
                var top = new TopK(capacity);
                scan.Range(ranges[p].Start, ranges[p].End, top);
                tops[p] = top;
            });

            for (var p = 1; p < tops.Length; p++)
            {
                tops[0].Merge(tops[p]);
            }

            return tops[0].ToSortedArray();
        }
    }

    /// <summary>The pinned inputs of one search (addresses as nint so that parallel lambdas may capture them).</summary>
    private readonly struct Scan(nint query, nint rows, int dim, RowFilter? filter)
    {
        public void Range(int start, int end, TopK top)
        {
            var q = (float*)query;
            var scores = stackalloc float[64];
            for (var block = start; block < end; block += 64)
            {
                var n = Math.Min(64, end - block);
                var valid = n == 64 ? ulong.MaxValue : (1UL << n) - 1;
                var mask = filter is null ? valid : filter.Word(block >> 6) & valid;
                if (mask == 0)
                {
                    continue;
                }

                var x = (float*)rows + ((nint)block * dim);
                if (mask == valid)
                {
                    RowBlockScorer<TKernel>.ScoreAll(q, x, dim, n, scores);
                }
                else
                {
                    RowBlockScorer<TKernel>.ScoreSelected(q, x, dim, n, mask, scores);
                }

                top.AddBlock(new ReadOnlySpan<float>(scores, n), block, mask);
            }
        }
    }
}
