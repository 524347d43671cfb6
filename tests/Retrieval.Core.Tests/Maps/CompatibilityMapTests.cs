using CsCheck;
using Retrieval.Core.Errors;
using Retrieval.Core.Maps;

namespace Retrieval.Core.Tests.Maps;

public class CompatibilityMapTests
{
    internal static CompatibilityMap RandomMap(Random rng, int dIn, int dOut, int hidden = 0, bool normalize = false)
    {
        var residual = hidden == 0
            ? null
            : new ResidualLayer(dIn, hidden, dOut, Synthetic.Gaussian(rng, dIn * hidden), Synthetic.Gaussian(rng, hidden, 0.1), Synthetic.Gaussian(rng, hidden * dOut, 0.1));
        return new CompatibilityMap(
            MapKind.External,
            dIn,
            dOut,
            Synthetic.Gaussian(rng, dIn * dOut, 1 / Math.Sqrt(dIn)),
            Synthetic.Gaussian(rng, dIn, 0.3),
            Synthetic.Gaussian(rng, dOut, 0.3),
            normalize,
            residual: residual);
    }

    /// <summary>The definition, in double: (x − μ)W + b + ReLU((x − μ)A + a)B, then normalization.</summary>
    internal static double[] Naive(CompatibilityMap map, ReadOnlySpan<float> x)
    {
        var z = new double[map.InputDimension];
        for (var i = 0; i < z.Length; i++)
        {
            z[i] = x[i] - map.InputMean[i];
        }

        var y = new double[map.OutputDimension];
        for (var j = 0; j < y.Length; j++)
        {
            y[j] = map.Bias[j];
            for (var i = 0; i < z.Length; i++)
            {
                y[j] += z[i] * map.Weights[(i * y.Length) + j];
            }
        }

        if (map.Residual is { } r)
        {
            for (var h = 0; h < r.Hidden; h++)
            {
                double pre = r.HiddenBias[h];
                for (var i = 0; i < z.Length; i++)
                {
                    pre += z[i] * r.InputWeights[(i * r.Hidden) + h];
                }

                if (pre > 0)
                {
                    for (var j = 0; j < y.Length; j++)
                    {
                        y[j] += pre * r.OutputWeights[(h * y.Length) + j];
                    }
                }
            }
        }

        if (map.NormalizeOutput)
        {
            var norm = Math.Sqrt(y.Sum(v => v * v));
            for (var j = 0; j < y.Length; j++)
            {
                y[j] /= norm;
            }
        }

        return y;
    }

    [Fact]
    public void Apply_RandomMapsAndInputs_MatchesNaiveDefinition()
    {
        Gen.Select(Gen.Int[1, 40], Gen.Int[1, 40], Gen.Int[0, 12], Gen.Bool, Gen.Int)
            .Sample((dIn, dOut, hidden, normalize, seed) =>
            {
                var rng = new Random(seed);
                var map = RandomMap(rng, dIn, dOut, hidden, normalize);
                var x = Synthetic.Gaussian(rng, dIn);
                var y = new float[dOut];
                map.Apply(x, y);
                var expected = Naive(map, x);
                for (var j = 0; j < dOut; j++)
                {
                    Assert.InRange(y[j] - expected[j], -1e-4 * (1 + Math.Abs(expected[j])), 1e-4 * (1 + Math.Abs(expected[j])));
                }
            }, iter: 200);
    }

    [Fact]
    public void ApplyBatch_EqualsRowByRowApply()
    {
        var rng = Synthetic.Rng(21);
        var map = RandomMap(rng, 10, 7, hidden: 5);
        var x = Synthetic.Gaussian(rng, 6 * 10);

        var batch = map.ApplyBatch(x, 6);

        for (var r = 0; r < 6; r++)
        {
            var y = new float[7];
            map.Apply(x.AsSpan(r * 10, 10), y);
            Assert.Equal(y, batch.AsSpan(r * 7, 7).ToArray());
        }
    }

    [Theory]
    [InlineData(0, 0, false, false)]
    [InlineData(6, 0, false, false)]
    [InlineData(0, 6, false, false)]
    [InlineData(0, 0, false, true)]
    public void Compose_EqualsSequentialApplication(int firstHidden, int secondHidden, bool firstNormalizes, bool secondNormalizes)
    {
        var rng = Synthetic.Rng(22 + firstHidden + (2 * secondHidden));
        var first = RandomMap(rng, 9, 11, firstHidden, firstNormalizes);
        var second = RandomMap(rng, 11, 8, secondHidden, secondNormalizes);

        var composed = CompatibilityMap.Compose(first, second);

        for (var trial = 0; trial < 20; trial++)
        {
            var x = Synthetic.Gaussian(rng, 9);
            var middle = new float[11];
            var sequential = new float[8];
            first.Apply(x, middle);
            second.Apply(middle, sequential);
            var once = new float[8];
            composed.Apply(x, once);
            for (var j = 0; j < 8; j++)
            {
                Assert.InRange(once[j] - sequential[j], -1e-4 * (1 + Math.Abs(sequential[j])), 1e-4 * (1 + Math.Abs(sequential[j])));
            }
        }
    }

    [Fact]
    public void Compose_NormalizingFirstIntoLinearNormalizingSecond_EqualsSequentialApplication()
    {
        var rng = Synthetic.Rng(23);
        var first = RandomMap(rng, 6, 6, normalize: true);
        var second = new CompatibilityMap(MapKind.Orthogonal, 6, 6, Synthetic.Gaussian(rng, 36), normalizeOutput: true);
        var composed = CompatibilityMap.Compose(first, second);
        var x = Synthetic.Gaussian(rng, 6);
        var middle = new float[6];
        var sequential = new float[6];
        var once = new float[6];
        first.Apply(x, middle);
        second.Apply(middle, sequential);
        composed.Apply(x, once);
        Assert.All(Enumerable.Range(0, 6), j => Assert.InRange(once[j] - sequential[j], -1e-5, 1e-5));
    }

    [Fact]
    public void Compose_ExtendThenOld_ReadsCompatiblePrefix()
    {
        var rng = Synthetic.Rng(24);
        var extend = new CompatibilityMap(MapKind.OrthogonalExtend, 8, 8, Synthetic.Orthogonal(rng, 8).ToRowMajorArray().Select(v => (float)v).ToArray(), compatiblePrefix: 5);
        var older = RandomMap(rng, 5, 4);
        var composed = CompatibilityMap.Compose(extend, older);
        var x = Synthetic.Gaussian(rng, 8);
        var middle = new float[8];
        var sequential = new float[4];
        var once = new float[4];
        extend.Apply(x, middle);
        older.Apply(middle.AsSpan(0, 5), sequential);
        composed.Apply(x, once);
        Assert.All(Enumerable.Range(0, 4), j => Assert.InRange(once[j] - sequential[j], -1e-5, 1e-5));
    }

    [Fact]
    public void Compose_TwoResidualMaps_Throws()
    {
        var rng = Synthetic.Rng(25);
        Assert.Throws<NotSupportedException>(() => CompatibilityMap.Compose(RandomMap(rng, 4, 4, 3), RandomMap(rng, 4, 4, 3)));
        Assert.Throws<ArgumentException>(() => CompatibilityMap.Compose(RandomMap(rng, 4, 5), RandomMap(rng, 4, 4)));
    }

    [Fact]
    public void Constructor_NonFiniteWeights_IsRejectedWithField()
    {
        var w = new float[4];
        w[2] = float.NaN;
        var ex = Assert.Throws<Core.Errors.RetrievalException>(() => new CompatibilityMap(MapKind.External, 2, 2, w));
        Assert.Equal(FieldPath.Of("weights"), ex.Path);
    }
}
