using Retrieval.Core.Errors;

namespace Retrieval.Core.Tests.Errors;

public sealed class RetrievalExceptionTests
{
    [Fact]
    public void Invalid_KeepsPathAndReasonApart()
    {
        var path = FieldPath.Of("items").Index(1).Member("id");

        var error = RetrievalException.Invalid(path, "item id must not be empty");

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(path, error.Path);
        Assert.Equal("item id must not be empty", error.Reason);
        Assert.Equal("items[1].id: item id must not be empty", error.Message);
    }

    [Fact]
    public void Invalid_AtTheRoot_HasTheReasonAsItsMessage() =>
        Assert.Equal("too many searches", RetrievalException.Invalid(FieldPath.Root, "too many searches").Message);

    [Fact]
    public void OtherKinds_NameNoField()
    {
        var error = RetrievalException.NotFound("collection 'c' not found");

        Assert.Equal((ErrorKind.NotFound, null, "collection 'c' not found"), (error.Kind, error.Path, error.Reason));
        Assert.Equal(error.Reason, error.Message);
    }
}
