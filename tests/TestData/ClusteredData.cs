namespace Retrieval.TestData;

/// <summary>
/// Seeded Gaussian clusters: the shape of real embeddings (unlike uniform random vectors, the
/// worst case for graph and IVF indexes), small enough that every index type builds in well under a second.
/// Compiled into each test project that needs it (linked source), so the Faiss tests need not reference the server.
/// </summary>
public sealed class ClusteredData
{
    /// <param name="count">Gallery rows.</param>
    /// <param name="queryCount">Query rows, drawn from the same clusters.</param>
    /// <param name="dimension">Vector dimension.</param>
    /// <param name="clusters">Number of cluster centres.</param>
    /// <param name="seed">Seed of everything random.</param>
    /// <param name="normalize">Scale every row to unit length (inner-product and cosine tests).</param>
    /// <param name="spread">Standard deviation of each coordinate around its cluster centre (centres are uniform in ±1).</param>
    public ClusteredData(int count, int queryCount, int dimension, int clusters, int seed, bool normalize, float spread = 0.15f)
    {
        Dimension = dimension;
        var random = new Random(seed);
        var centers = new float[clusters * dimension];
        for (var i = 0; i < centers.Length; i++)
        {
            centers[i] = (float)((random.NextDouble() * 2) - 1);
        }

        Vectors = Sample(random, centers, count, dimension, clusters, normalize, spread);
        Queries = Sample(random, centers, queryCount, dimension, clusters, normalize, spread);
        // Ids deliberately unlike row numbers, so a lost id mapping cannot pass for a correct one.
        Ids = Enumerable.Range(0, count).Select(RowToId).ToArray();
    }

    public int Dimension { get; }

    public float[] Vectors { get; }

    public float[] Queries { get; }

    public long[] Ids { get; }

    public int Count => Ids.Length;

    public int QueryCount => Queries.Length / Dimension;

    public float[] Row(int row) => Vectors.AsSpan(row * Dimension, Dimension).ToArray();

    public float[] Query(int query) => Queries.AsSpan(query * Dimension, Dimension).ToArray();

    public static long RowToId(int row) => 1_000_000L + (3L * row);

    public static int IdToRow(long id) => (int)((id - 1_000_000L) / 3);

    private static float[] Sample(Random random, float[] centers, int count, int dimension, int clusters, bool normalize, float spread)
    {
        var data = new float[count * dimension];
        for (var r = 0; r < count; r++)
        {
            var c = random.Next(clusters);
            var norm = 0.0;
            for (var j = 0; j < dimension; j++)
            {
                var value = centers[(c * dimension) + j] + (spread * Gaussian(random));
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
