using System.Numerics.Tensors;
using Retrieval.Core.MultiVector;

namespace Retrieval.Core.Tests.MultiVector;

public sealed class TokenPrunerTests
{
    [Fact]
    public void KMeans_SameInputAndSeed_GivesIdenticalCentroids()
    {
        var tokens = MultiVectorTestData.Gaussian(new DeterministicRandom(1), 60, 16, normalize: true);
        var a = TokenPruner.Prune(tokens, PruningOptions.KMeans(8, seed: 5));
        var b = TokenPruner.Prune(tokens, PruningOptions.KMeans(8, seed: 5));
        Assert.Equal(8, a.Count);
        Assert.Equal(a.Values.ToArray(), b.Values.ToArray());
    }

    [Theory]
    [InlineData(PruningMethod.KMeansFixed)]
    [InlineData(PruningMethod.WardPooling)]
    public void PlantedClusters_AreRecovered(PruningMethod method)
    {
        // Four well-separated unit centers, 10 noisy tokens each (noise ≪ center spacing), shuffled.
        var random = new DeterministicRandom(2);
        const int D = 24;
        var centers = Enumerable.Range(0, 4).Select(_ => MultiVectorTestData.UnitVector(random, D)).ToArray();
        var rows = Enumerable.Range(0, 40).Select(i => MultiVectorTestData.NoisyToken(random, centers[i % 4], 0.2f)).ToArray();
        var tokens = TokenMatrix.FromRows(rows);
        var options = method == PruningMethod.KMeansFixed ? PruningOptions.KMeans(4, seed: 3) : PruningOptions.Ward(poolFactor: 10);
        var pruned = TokenPruner.Prune(tokens, options);
        Assert.Equal(4, pruned.Count);
        foreach (var center in centers)
        {
            var best = Enumerable.Range(0, pruned.Count).Max(c => TensorPrimitives.Dot(pruned.Row(c), center));
            Assert.True(best > 0.99f, $"a planted center is matched only at cosine {best}");
        }
    }

    [Fact]
    public void Ratio_KeepsCeilingOfRatioTimesTokens_AndRenormalizesUnitTokens()
    {
        var tokens = MultiVectorTestData.Gaussian(new DeterministicRandom(4), 11, 8, normalize: true);
        var pruned = TokenPruner.Prune(tokens, PruningOptions.KMeansToRatio(0.5));
        Assert.Equal(6, pruned.Count);
        Assert.True(pruned.IsUnitNormalized());
    }

    [Fact]
    public void UnnormalizedTokens_KeepPlainMeans_UnderAutoRule()
    {
        var tokens = TokenMatrix.FromRows([[2f, 0f], [4f, 0f], [0f, 10f], [0f, 12f]]);
        var pruned = TokenPruner.Prune(tokens, PruningOptions.Ward(poolFactor: 2));
        Assert.Equal([3f, 0f, 0f, 11f], pruned.Values.ToArray());
    }

    [Fact]
    public void DuplicateTokens_CollapseWithoutEmptyCentroids()
    {
        var tokens = TokenMatrix.FromRows([[1f, 0f], [1f, 0f], [1f, 0f], [0f, 1f]]);
        var pruned = TokenPruner.Prune(tokens, PruningOptions.KMeans(3));
        Assert.Equal(2, pruned.Count);
    }

    [Fact]
    public void None_OrTargetNotBelowCount_ReturnsInput()
    {
        var tokens = MultiVectorTestData.Gaussian(new DeterministicRandom(5), 3, 4);
        Assert.Same(tokens, TokenPruner.Prune(tokens, new PruningOptions()));
        Assert.Same(tokens, TokenPruner.Prune(tokens, PruningOptions.KMeans(8)));
    }

    [Fact]
    public void Dedup_Exact_KeepsFirstOfEachRepeat_InOrder_AndChamferIsUnchanged()
    {
        var random = new DeterministicRandom(90);
        var distinct = MultiVectorTestData.Gaussian(random, 5, 8);
        int[] order = [0, 1, 0, 2, 3, 1, 4, 4, 2];
        var rows = order.SelectMany(t => distinct.Row(t).ToArray()).ToArray();
        var tokens = TokenMatrix.FromRowMajor(rows, 8);
        var kept = TokenPruner.Prune(tokens, PruningOptions.Deduplicate());
        Assert.Equal(distinct.Values.ToArray(), kept.Values.ToArray());
        var query = MultiVectorTestData.Gaussian(random, 4, 8);
        Assert.Equal(Chamfer.ScoreScalar(query, tokens), Chamfer.ScoreScalar(query, kept));
    }

    [Fact]
    public void Dedup_WithinDistance_DropsNearRepeatsOnly_ThenTheMethodRuns()
    {
        var a = new float[] { 1, 0, 0, 0 };
        var nearA = new float[] { 0.999f, 0.01f, 0, 0 };
        var b = new float[] { 0, 1, 0, 0 };
        var tokens = TokenMatrix.FromRows([a, nearA, b, b]);
        Assert.Equal(3, TokenPruner.Prune(tokens, PruningOptions.Deduplicate()).Count);
        Assert.Equal(2, TokenPruner.Prune(tokens, PruningOptions.Deduplicate(0.05f)).Count);
        Assert.Equal(1, TokenPruner.Prune(tokens, PruningOptions.KMeans(1) with { Dedup = true }).Count);
        Assert.Same(tokens, TokenPruner.Prune(tokens, new PruningOptions()));
        Assert.Throws<ArgumentException>(() => TokenPruner.Prune(tokens, PruningOptions.Deduplicate(-1)));
    }
}
