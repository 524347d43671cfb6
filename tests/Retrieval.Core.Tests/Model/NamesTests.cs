using Retrieval.Core.Errors;
using Retrieval.Core.Model;

namespace Retrieval.Core.Tests.Model;

public sealed class NamesTests
{
    [Theory]
    [InlineData("a", true)]
    [InlineData("my_collection-2", true)]
    [InlineData("", false)]
    [InlineData("A", false)]
    [InlineData("a/b", false)]
    [InlineData("a\\b", false)]
    [InlineData("a'b", false)]
    [InlineData("a\"b", false)]
    [InlineData("x;drop", false)]
    [InlineData("a b", false)]
    [InlineData("a.b", false)]
    public void IsValidName_FollowsThePattern(string name, bool valid) => Assert.Equal(valid, Names.IsValidName(name));

    [Fact]
    public void IsValidName_LengthLimitIs64() =>
        Assert.Equal((true, false), (Names.IsValidName(new string('a', 64)), Names.IsValidName(new string('a', 65))));

    [Fact]
    public void ValidateItemId_CountsUtf8Bytes()
    {
        Names.ValidateItemId(new string('é', 128), FieldPath.Of("id"));
        var error = Assert.Throws<RetrievalException>(() => Names.ValidateItemId(new string('é', 129), FieldPath.Of("items").Index(0).Member("id")));
        Assert.Equal(FieldPath.Of("items").Index(0).Member("id"), error.Path);
    }
}
