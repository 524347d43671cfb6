using System.Numerics.Tensors;
using Retrieval.Core.Search;

namespace Retrieval.Benchmarks.MultiVector;

/// <summary>
/// Exact inner-product top-K' for a batch of query FDEs over row-major document FDEs: the same result as
/// <see cref="ExactSearch"/> per query (same score, same tie order through <see cref="TopK"/>), but blocked so that
/// each block of document rows is read from memory once for all queries instead of once per query.
/// </summary>
internal static class FdeCandidateScan
{
    private const int RowBlock = 32;

    public static ScoredRow[][] Search(float[] documents, int rows, int dimension, float[][] queries, int k)
    {
        var parts = Math.Max(1, Environment.ProcessorCount);
        var partial = new TopK[parts][];
        Parallel.For(0, parts, part =>
        {
            var start = (int)((long)rows * part / parts);
            var end = (int)((long)rows * (part + 1) / parts);
            var tops = queries.Select(_ => new TopK(k)).ToArray();
            for (var block = start; block < end; block += RowBlock)
            {
                var blockEnd = Math.Min(block + RowBlock, end);
                for (var q = 0; q < queries.Length; q++)
                {
                    for (var r = block; r < blockEnd; r++)
                    {
                        tops[q].Add(r, TensorPrimitives.Dot(queries[q], documents.AsSpan(r * dimension, dimension)));
                    }
                }
            }

            partial[part] = tops;
        });

        var results = new ScoredRow[queries.Length][];
        for (var q = 0; q < queries.Length; q++)
        {
            var merged = new TopK(k);
            foreach (var tops in partial)
            {
                merged.AddRange(tops[q].ToSortedArray());
            }

            results[q] = merged.ToSortedArray();
        }

        return results;
    }
}
