namespace Retrieval.Engine.Tests.Support;

/// <summary>
/// Seeded Gaussian clusters: shaped like real embeddings (uniform random vectors are the worst case for graph and IVF
/// indexes) and small enough that every index type builds in well under a second.
/// </summary>
internal sealed class ClusteredVectors
{
    public ClusteredVectors(int count, int queryCount, int dimension, int clusters, int seed, bool normalize)
    {
        Dimension = dimension;
        var random = new Random(seed);
        var centers = new float[clusters * dimension];
        for (var i = 0; i < centers.Length; i++)
        {
            centers[i] = (float)((random.NextDouble() * 2) - 1);
        }

        Vectors = Sample(random, centers, count, dimension, clusters, normalize);
        Queries = Sample(random, centers, queryCount, dimension, clusters, normalize);
        Count = count;
        QueryCount = queryCount;
    }

    public int Dimension { get; }

    public int Count { get; }

    public int QueryCount { get; }

    public float[] Vectors { get; }

    public float[] Queries { get; }

    public float[] Row(int row) => Vectors.AsSpan(row * Dimension, Dimension).ToArray();

    public float[] Query(int query) => Queries.AsSpan(query * Dimension, Dimension).ToArray();

    private static float[] Sample(Random random, float[] centers, int count, int dimension, int clusters, bool normalize)
    {
        var data = new float[count * dimension];
        for (var r = 0; r < count; r++)
        {
            var c = random.Next(clusters);
            var norm = 0.0;
            for (var j = 0; j < dimension; j++)
            {
                var value = centers[(c * dimension) + j] + (0.2f * Gaussian(random));
                data[(r * dimension) + j] = value;
                norm += value * value;
            }

            if (normalize)
            {
                var scale = (float)(1 / Math.Sqrt(norm));
                for (var j = 0; j < dimension; j++)
                {
                    data[(r * dimension) + j] *= scale;
                }
            }
        }

        return data;
    }

    private static float Gaussian(Random random)
    {
        // Box–Muller.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
