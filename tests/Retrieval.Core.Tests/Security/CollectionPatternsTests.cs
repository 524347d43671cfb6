using Retrieval.Core.Security;

namespace Retrieval.Core.Tests.Security;

public sealed class CollectionPatternsTests
{
    [Theory]
    [InlineData("docs*,shop", "docs", true)]
    [InlineData("docs*,shop", "docs-2024", true)]
    [InlineData("docs*,shop", "shop", true)]
    [InlineData("docs*,shop", "shopping", false)]
    [InlineData("docs*,shop", "mydocs", false)]
    [InlineData("*-eval", "news-eval", true)]
    [InlineData("*-eval", "news-eval2", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("a*b*c", "abcbc", true)]
    [InlineData("", "anything", true)]
    [InlineData("*", "anything", true)]
    public void Allows_MatchesGlobsWithStarOnly(string patterns, string collection, bool expected) =>
        Assert.Equal(expected, CollectionPatterns.Parse(patterns).Allows(collection));

    [Fact]
    public void IsUnrestricted_OnlyForEmptyOrStar()
    {
        Assert.True(CollectionPatterns.Parse(null).IsUnrestricted);
        Assert.True(CollectionPatterns.Parse("docs,*").IsUnrestricted);
        Assert.False(CollectionPatterns.Parse("docs*").IsUnrestricted);
    }
}
