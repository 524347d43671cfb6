using Retrieval.Core.Errors;
using Retrieval.Core.Maps;

namespace Retrieval.Core.Tests.Maps;

/// <summary>
/// Streamed anchor statistics (online refit): batches merged in any split give the map a fit on all pairs gives, for every
/// kind that fits from statistics, and survive their binary form.
/// </summary>
public class AnchorStatisticsTests
{
    [Theory]
    [InlineData(MapKind.Orthogonal)]
    [InlineData(MapKind.CanonicalQ)]
    [InlineData(MapKind.Affine)]
    [InlineData(MapKind.LambdaOrthogonal)]
    [InlineData(MapKind.OrthogonalExtend)]
    public void Fit_StreamedInUnevenBatches_EqualsFitOnAllPairs(MapKind kind)
    {
        var rng = Synthetic.Rng(11);
        var (dn, dOld) = kind == MapKind.OrthogonalExtend ? (20, 12) : (16, 12);
        var transform = Synthetic.Orthogonal(rng, dn).SubMatrix(0, dn, 0, dOld) * 1.3;
        var shift = Synthetic.Gaussian(rng, dOld, 2);
        var all = Synthetic.Pairs(rng, 300, transform, shift, noise: 0.2);

        var streamed = new AnchorStatistics(dn, dOld);
        var start = 0;
        foreach (var size in new[] { 1, 7, 40, 2, 150, 100 })
        {
            streamed.Add(all.Select(Enumerable.Range(start, size).ToList()));
            start += size;
        }

        var options = new MapFitOptions { Kind = kind };
        var expected = MapFitter.Fit(all, options);
        var actual = StatisticsMapFitter.Fit(streamed, options);

        Assert.Equal(300, streamed.Count);
        Assert.Equal((expected.InputDimension, expected.OutputDimension, expected.CompatiblePrefix), (actual.InputDimension, actual.OutputDimension, actual.CompatiblePrefix));
        Assert.True(MaxDifference(expected.Weights, actual.Weights) < 1e-4, $"{kind}: weights differ by {MaxDifference(expected.Weights, actual.Weights)}");
        Assert.True(MaxDifference(expected.InputMean, actual.InputMean) < 1e-5);
        Assert.True(MaxDifference(expected.Bias, actual.Bias) < 1e-5);
    }

    [Fact]
    public void Add_LargeCommonOffset_KeepsCentredMomentsExact()
    {
        // Raw sums would lose the spread to cancellation against a mean 10⁴ times larger; the merged centred moments do not.
        var rng = Synthetic.Rng(12);
        var transform = Synthetic.Orthogonal(rng, 8);
        var pairs = Synthetic.Pairs(rng, 200, transform, Enumerable.Repeat(1e4f, 8).ToArray());
        var streamed = new AnchorStatistics(8, 8);
        foreach (var chunk in Enumerable.Range(0, 200).Chunk(33))
        {
            streamed.Add(pairs.Select(chunk));
        }

        var whole = AnchorStatistics.Of(pairs);
        Assert.True(MaxDifference(whole.Cross.ToArray(), streamed.Cross.ToArray()) < 1e-6 * MaxAbs(whole.Cross.ToArray()));
        Assert.True(MaxDifference(whole.GramNew.ToArray(), streamed.GramNew.ToArray()) < 1e-9 * MaxAbs(whole.GramNew.ToArray()));
    }

    [Fact]
    public void Serialize_RoundTrip_KeepsEveryMoment()
    {
        var rng = Synthetic.Rng(13);
        var statistics = AnchorStatistics.Of(Synthetic.Pairs(rng, 50, Synthetic.Orthogonal(rng, 6).SubMatrix(0, 6, 0, 4), noise: 0.1));

        var copy = AnchorStatistics.Deserialize(statistics.Serialize());

        Assert.Equal((statistics.Count, statistics.NewDimension, statistics.OldDimension), (copy.Count, copy.NewDimension, copy.OldDimension));
        Assert.Equal(statistics.MeanNew.ToArray(), copy.MeanNew.ToArray());
        Assert.Equal(statistics.Cross.ToArray(), copy.Cross.ToArray());
        Assert.Equal(statistics.GramOld.ToArray(), copy.GramOld.ToArray());
    }

    [Fact]
    public void Deserialize_FlippedByte_IsRefused()
    {
        var bytes = AnchorStatistics.Of(Synthetic.Pairs(Synthetic.Rng(14), 20, Synthetic.Orthogonal(Synthetic.Rng(15), 4))).Serialize();
        bytes[100] ^= 1;

        Assert.Throws<InvalidDataException>(() => AnchorStatistics.Deserialize(bytes));
    }

    [Fact]
    public void Fit_FewerPairsThanDimension_IsInvalidAnchors()
    {
        var statistics = AnchorStatistics.Of(Synthetic.Pairs(Synthetic.Rng(16), 5, Synthetic.Orthogonal(Synthetic.Rng(17), 8)));

        var error = Assert.Throws<RetrievalException>(() => StatisticsMapFitter.Fit(statistics, new MapFitOptions { Kind = MapKind.CanonicalQ }));
        Assert.Equal("anchors", error.Path?.ToString());
    }

    [Fact]
    public void Fit_TrainedKind_IsRefused()
    {
        var statistics = AnchorStatistics.Of(Synthetic.Pairs(Synthetic.Rng(18), 40, Synthetic.Orthogonal(Synthetic.Rng(19), 4)));

        Assert.False(StatisticsMapFitter.CanFit(MapKind.ResidualMlp));
        Assert.Throws<RetrievalException>(() => StatisticsMapFitter.Fit(statistics, new MapFitOptions { Kind = MapKind.ResidualMlp }));
    }

    private static double MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var max = 0d;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }

    private static double MaxDifference(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    private static double MaxAbs(double[] a) => a.Max(Math.Abs);
}
