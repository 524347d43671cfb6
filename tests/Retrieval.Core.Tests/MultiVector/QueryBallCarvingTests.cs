using Retrieval.Core.MultiVector;

namespace Retrieval.Core.Tests.MultiVector;

public sealed class QueryBallCarvingTests
{
    [Fact]
    public void Carve_MergesTokensAboveTauBySumming_InCenterOrder()
    {
        var query = TokenMatrix.FromRows([[1f, 0f], [0f, 1f], [0.9f, 0.1f], [0.1f, 0.9f], [-1f, 0f]]);
        var carved = QueryBallCarving.Carve(query, tau: 0.7f);
        Assert.Equal([1.9f, 0.1f, 0.1f, 1.9f, -1f, 0f], carved.Values.ToArray());
    }

    [Fact]
    public void Carve_NothingAboveTau_ReturnsInput()
    {
        var query = TokenMatrix.FromRows([[1f, 0f], [0f, 1f]]);
        Assert.Same(query, QueryBallCarving.Carve(query, tau: 0.7f));
    }

    [Fact]
    public void Carve_MergedBallWithCommonBestToken_KeepsChamferScore()
    {
        var query = TokenMatrix.FromRows([[1f, 0f], [0.95f, 0.05f]]);
        var document = TokenMatrix.FromRows([[1f, 0f], [0f, 1f]]);
        Assert.Equal(Chamfer.Score(query, document), Chamfer.Score(QueryBallCarving.Carve(query, 0.7f), document), 1e-6f);
    }
}
