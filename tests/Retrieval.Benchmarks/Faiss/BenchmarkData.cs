using Retrieval.Core.Search;

namespace Retrieval.Benchmarks.Faiss;

/// <summary>
/// Seeded clustered vectors (Gaussian blobs around uniform centers) with exact top-k ground truth
/// from Core's brute-force search, written to raw little-endian files so that the Python peer reads
/// exactly the same data.
/// </summary>
internal sealed class BenchmarkData
{
    private BenchmarkData(int dimension, float[] vectors, float[] queries, long[][] truth)
    {
        Dimension = dimension;
        Vectors = vectors;
        Queries = queries;
        Truth = truth;
    }

    public int Dimension { get; }

    public float[] Vectors { get; }

    public float[] Queries { get; }

    /// <summary>Exact top-k ids (= row numbers) per query, best first.</summary>
    public long[][] Truth { get; }

    public int Count => Vectors.Length / Dimension;

    public int QueryCount => Queries.Length / Dimension;

    public static BenchmarkData Generate(int count, int queryCount, int dimension, int clusters, int k, int seed)
    {
        var random = new Random(seed);
        var centers = new float[clusters * dimension];
        for (var i = 0; i < centers.Length; i++)
        {
            centers[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var vectors = Sample(random, centers, count, dimension, clusters);
        var queries = Sample(random, centers, queryCount, dimension, clusters);
        var storage = new FlatVectorStorage(dimension, count);
        for (var r = 0; r < count; r++)
        {
            storage.Add(vectors.AsSpan(r * dimension, dimension));
        }

        var truth = new long[queryCount][];
        Parallel.For(0, queryCount, q =>
        {
            var hits = ExactSearch.Search(storage, queries.AsSpan(q * dimension, dimension), k, ScoreKind.NegativeSquaredL2);
            truth[q] = hits.Select(h => (long)h.Row).ToArray();
        });
        return new BenchmarkData(dimension, vectors, queries, truth);
    }

    /// <summary>Writes base.f32, queries.f32 (row-major float32) and truth.i64 (queries × k int64).</summary>
    public void WriteTo(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "base.f32"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(Vectors.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(directory, "queries.f32"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(Queries.AsSpan()).ToArray());
        var flatTruth = Truth.SelectMany(t => t).ToArray();
        File.WriteAllBytes(Path.Combine(directory, "truth.i64"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(flatTruth.AsSpan()).ToArray());
    }

    /// <summary>Mean recall@k of <paramref name="ids"/> (queries × k, query-major) against the truth.</summary>
    public double Recall(ReadOnlySpan<long> ids, int k)
    {
        var total = 0.0;
        for (var q = 0; q < QueryCount; q++)
        {
            var truth = Truth[q].Take(k).ToHashSet();
            var found = 0;
            foreach (var id in ids.Slice(q * k, k))
            {
                if (truth.Contains(id))
                {
                    found++;
                }
            }

            total += (double)found / k;
        }

        return total / QueryCount;
    }

    private static float[] Sample(Random random, float[] centers, int count, int dimension, int clusters)
    {
        var data = new float[count * dimension];
        for (var r = 0; r < count; r++)
        {
            var c = random.Next(clusters);
            for (var j = 0; j < dimension; j++)
            {
                data[(r * dimension) + j] = centers[(c * dimension) + j] + (0.3f * Gaussian(random));
            }
        }

        return data;
    }

    private static float Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
