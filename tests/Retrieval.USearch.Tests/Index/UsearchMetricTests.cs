namespace Retrieval.USearch.Tests.Index;

/// <summary>Each metric's distance is the formula <see cref="UsearchMetric"/> documents (lower is better).</summary>
public sealed class UsearchMetricTests
{
    private static readonly float[] Query = [0.6f, -0.8f, 0.0f, 0.0f];

    private static readonly float[][] Rows =
    [
        [0.6f, -0.8f, 0.0f, 0.0f],
        [1.0f, 0.0f, 0.0f, 0.0f],
        [0.0f, 0.0f, 2.0f, 1.0f],
        [-3.0f, 4.0f, 0.0f, 0.0f],
    ];

    public static TheoryData<UsearchMetric> Metrics => [UsearchMetric.InnerProduct, UsearchMetric.Cosine, UsearchMetric.SquaredL2];

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Search_F32_DistancesFollowTheMetricBestFirst(UsearchMetric metric)
    {
        using var index = UsearchIndex.Create(4, metric, UsearchScalar.F32, 8, 32, 32, 1);
        index.Reserve(Rows.Length, 1);
        for (var i = 0; i < Rows.Length; i++)
        {
            index.Add((ulong)i, Rows[i]);
        }

        var keys = new ulong[Rows.Length];
        var distances = new float[Rows.Length];
        var found = index.Search(Query, Rows.Length, 0, default, filtered: false, keys, distances);

        var expected = Enumerable.Range(0, Rows.Length)
            .Select(i => (Key: (ulong)i, Distance: Expected(metric, Query, Rows[i])))
            .OrderBy(e => e.Distance)
            .ToArray();
        Assert.Equal(Rows.Length, found);
        Assert.Equal(expected.Select(e => e.Key), keys);
        for (var i = 0; i < found; i++)
        {
            Assert.Equal(expected[i].Distance, distances[i], 1e-4f);
        }
    }

    [Fact]
    public void Search_CosineI8_RanksLikeCosineOnFloats()
    {
        using var index = UsearchIndex.Create(4, UsearchMetric.Cosine, UsearchScalar.I8, 8, 32, 32, 1);
        index.Reserve(Rows.Length, 1);
        for (var i = 0; i < Rows.Length; i++)
        {
            index.Add((ulong)i, Rows[i]);
        }

        var keys = new ulong[2];
        var distances = new float[2];
        var found = index.Search(Query, 2, 0, default, filtered: false, keys, distances);

        // Row 0 is the query itself; row 1 is the next by angle (cos = 0.6), scale-free as cosine is.
        Assert.Equal(2, found);
        Assert.Equal([0ul, 1ul], keys);
        Assert.Equal(0f, distances[0], 0.02f);
        Assert.Equal(0.4f, distances[1], 0.02f);
    }

    private static float Expected(UsearchMetric metric, float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0, l2 = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
            l2 += (a[i] - b[i]) * (a[i] - b[i]);
        }

        return metric switch
        {
            UsearchMetric.InnerProduct => (float)(1 - dot),
            UsearchMetric.Cosine => (float)(1 - (dot / Math.Sqrt(na * nb))),
            _ => (float)l2,
        };
    }
}
