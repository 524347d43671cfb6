using CsCheck;
using Retrieval.Core.MultiVector;

namespace Retrieval.Core.Tests.MultiVector;

public sealed class ChamferTests
{
    private static readonly Gen<(int Nq, int Np, int D, ulong Seed)> Shapes =
        from nq in Gen.Int[1, 13]
        from np in Gen.Int[1, 13]
        from d in Gen.Int[1, 70]
        from seed in Gen.ULong
        select (nq, np, d, seed);

    [Fact]
    public void Score_Simd_MatchesScalarReference_OnRandomShapes()
    {
        Shapes.Sample(shape =>
        {
            var random = new DeterministicRandom(shape.Seed);
            var q = MultiVectorTestData.Gaussian(random, shape.Nq, shape.D);
            var p = MultiVectorTestData.Gaussian(random, shape.Np, shape.D);
            var expected = Chamfer.ScoreScalar(q, p);
            var actual = Chamfer.Score(q, p);
            // FMA and blocked summation change the rounding only: |Δ| ≲ nq·d·ε·max|term|, bounded generously.
            var tolerance = 1e-5f * shape.Nq * (shape.D + 8);
            Assert.True(MathF.Abs(expected - actual) <= tolerance, $"scalar {expected}, simd {actual}, shape {shape}");
        }, iter: 400);
    }

    [Fact]
    public void Score_HandComputed_IsSumOfRowMaxima()
    {
        var q = TokenMatrix.FromRows([[1f, 0f], [0f, 1f]]);
        var p = TokenMatrix.FromRows([[2f, 1f], [0f, 3f], [-1f, -1f]]);
        // Row 1: max(2, 0, −1) = 2; row 2: max(1, 3, −1) = 3.
        Assert.Equal(5f, Chamfer.Score(q, p));
        Assert.Equal(5f, Chamfer.ScoreScalar(q, p));
    }

    [Fact]
    public void Score_MismatchedDimensions_Throws() =>
        Assert.Throws<ArgumentException>(() => Chamfer.Score(TokenMatrix.FromRows([[1f]]), TokenMatrix.FromRows([[1f, 2f]])));

    [Fact]
    public void Search_ParallelAndSequential_MatchNaiveRanking()
    {
        var (documents, queries) = MultiVectorTestData.ClusteredCorpus(seed: 5, documents: 300, queries: 5, d: 24);
        foreach (var query in queries)
        {
            var naive = documents.Select((doc, row) => (Row: row, Score: Chamfer.ScoreScalar(query, doc)))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(10).Select(x => x.Row).ToArray();
            var sequential = ChamferSearch.Search(query, documents, 10, parallelThreshold: int.MaxValue);
            var parallel = ChamferSearch.Search(query, documents, 10, parallelThreshold: 1);
            Assert.Equal(sequential, parallel);
            Assert.Equal(naive, sequential.Select(r => r.Row).ToArray());
        }
    }

    [Fact]
    public void Rerank_ReordersCandidatesByChamfer()
    {
        var (documents, queries) = MultiVectorTestData.ClusteredCorpus(seed: 6, documents: 50, queries: 1, d: 16);
        var all = Enumerable.Range(0, documents.Count).Select(r => new Retrieval.Core.Search.ScoredRow(r, 0f)).ToArray();
        var reranked = ChamferSearch.Rerank(queries[0], documents, all, 5);
        Assert.Equal(ChamferSearch.Search(queries[0], documents, 5), reranked);
    }
}
