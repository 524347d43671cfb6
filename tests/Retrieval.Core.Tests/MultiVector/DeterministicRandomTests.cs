using Retrieval.Core.MultiVector;

namespace Retrieval.Core.Tests.MultiVector;

public sealed class DeterministicRandomTests
{
    [Fact]
    public void SplitMix64_SeedZero_MatchesReferenceOutput()
    {
        // First output of the reference splitmix64.c for state 0.
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, DeterministicRandom.SplitMix64(ref state));
    }

    [Fact]
    public void SameSeed_GivesSameSequence_OtherSeedDiffers()
    {
        var a = new DeterministicRandom(42);
        var b = new DeterministicRandom(42);
        var c = new DeterministicRandom(43);
        var sa = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        Assert.Equal(sa, Enumerable.Range(0, 100).Select(_ => b.NextUInt64()).ToArray());
        Assert.NotEqual(sa, Enumerable.Range(0, 100).Select(_ => c.NextUInt64()).ToArray());
    }

    [Fact]
    public void NextGaussian_HasStandardNormalMoments()
    {
        var random = new DeterministicRandom(7);
        const int N = 200_000;
        double sum = 0, sumSquares = 0;
        for (var i = 0; i < N; i++)
        {
            var x = random.NextGaussian();
            sum += x;
            sumSquares += x * x;
        }

        Assert.InRange(sum / N, -0.01, 0.01);
        Assert.InRange(sumSquares / N, 0.98, 1.02);
    }

    [Fact]
    public void NextInt_StaysInBound_AndCoversIt()
    {
        var random = new DeterministicRandom(1);
        var seen = new int[7];
        for (var i = 0; i < 7000; i++)
        {
            seen[random.NextInt(7)]++;
        }

        Assert.All(seen, count => Assert.InRange(count, 850, 1150));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(1e-300)]
    [InlineData(0.7071)]
    [InlineData(1.4142)]
    [InlineData(123456.789)]
    public void Log_AgreesWithMathLog(double x) =>
        Assert.Equal(Math.Log(x), DeterministicMath.Log(x), Math.Abs(Math.Log(x)) * 1e-15 + 1e-15);
}
