using Retrieval.Core.MultiVector;

namespace Retrieval.Core.Tests.MultiVector;

public sealed class TokenMatrixTests
{
    [Fact]
    public void FromRows_ValidRows_AreContiguousRowMajor()
    {
        var m = TokenMatrix.FromRows([[1f, 2f], [3f, 4f], [5f, 6f]]);
        Assert.Equal((3, 2), (m.Count, m.Dimension));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], m.Values.ToArray());
        Assert.Equal([3f, 4f], m.Row(1).ToArray());
    }

    [Fact]
    public void FromRows_Empty_Throws() => Assert.Throws<ArgumentException>(() => TokenMatrix.FromRows([]));

    [Fact]
    public void FromRows_Ragged_Throws() => Assert.Throws<ArgumentException>(() => TokenMatrix.FromRows([[1f, 2f], [3f]]));

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void FromRowMajor_NonFinite_Throws(float bad) => Assert.Throws<ArgumentException>(() => TokenMatrix.FromRowMajor([1f, bad], 2));

    [Fact]
    public void FromRowMajor_NotWholeRows_Throws() => Assert.Throws<ArgumentException>(() => TokenMatrix.FromRowMajor([1f, 2f, 3f], 2));
}
