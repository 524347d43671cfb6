using Retrieval.Core.Model;
using Retrieval.Core.Search;

namespace Retrieval.Engine.Indexes;

/// <summary>
/// Builds an index over all rows of a storage: trains on a seeded sample (so rebuilding the same rows trains the same
/// index), then adds in chunks, reporting progress and checking for cancellation between chunks.
/// </summary>
public static class IndexBuilder
{
    private const int AddChunk = 4096;

    public static IVectorIndex Build(
        IndexSpec spec,
        Metric metric,
        FlatVectorStorage rows,
        IndexingOptions options,
        Action<long, long>? progress,
        CancellationToken cancellationToken)
    {
        var count = rows.Count;
        var dimension = rows.Dimension;
        var effective = spec.ForSegmentOf(count, options.TrainingPointsPerList);
        var index = VectorIndexFactory.Create(effective, dimension, metric, count, options);
        try
        {
            if (index.NeedsTraining)
            {
                index.Train(TrainingSample(effective, rows, options));
            }

            var data = rows.RawData;
            var ids = new long[AddChunk];
            for (var start = 0; start < count; start += AddChunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var n = Math.Min(AddChunk, count - start);
                for (var i = 0; i < n; i++)
                {
                    ids[i] = start + i;
                }

                index.Add(ids.AsSpan(0, n), data.AsSpan(start * dimension, n * dimension));
                progress?.Invoke(start + n, count);
            }

            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>Row-major vectors of a seeded sample of rows (all rows when few).</summary>
    public static float[] TrainingSample(IndexSpec spec, FlatVectorStorage rows, IndexingOptions options)
    {
        var wanted = (long)spec.NList * options.TrainingPointsPerList;
        if (spec.Kind == IndexKind.IvfPq)
        {
            // Each PQ sub-quantizer runs k-means with 2^bits centroids.
            wanted = Math.Max(wanted, (1L << spec.PqBits) * options.TrainingPointsPerList);
        }

        var size = (int)Math.Min(rows.Count, Math.Min(options.MaxTrainingSample, wanted));
        var dimension = rows.Dimension;
        var sample = new float[(long)size * dimension];
        var chosen = SampleRows(rows.Count, size, options.TrainingSeed);
        for (var i = 0; i < chosen.Length; i++)
        {
            rows.Row(chosen[i]).CopyTo(sample.AsSpan(i * dimension, dimension));
        }

        return sample;
    }

    // Partial Fisher-Yates over row numbers with a seeded generator: a uniform sample without replacement.
    private static int[] SampleRows(int count, int size, int seed)
    {
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }

        var random = new Random(seed);
        for (var i = 0; i < size; i++)
        {
            var j = random.Next(i, count);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order.AsSpan(0, size).ToArray();
    }
}
