using Retrieval.Core.Errors;
using Retrieval.Server.Grpc;

namespace Retrieval.Server.Tests.Grpc;

public sealed class FieldPathRendererTests
{
    [Theory]
    [MemberData(nameof(WirePaths))]
    public void Render_WritesProtoJsonFieldSyntax(FieldPath path, string expected) =>
        Assert.Equal(expected, FieldPathRenderer.Render(path));

    public static TheoryData<FieldPath, string> WirePaths() => new()
    {
        { FieldPath.Root, "" },
        { FieldPath.Of("k"), "k" },
        { FieldPath.Of("items").Index(3).Member("vectors").Key("v1"), "items[3].vectors.v1" },
        { FieldPath.Of("searches").Index(2).Member("filter").Member("must").Index(0).Member("key"), "searches[2].filter.must[0].key" },
        { FieldPath.Of("ids").Index(0), "ids[0]" },
        { FieldPath.Of("vector").Member("rows").Index(1).Index(4), "vector.rows[1][4]" },
        { FieldPath.Of("spaces").Index(0).Member("multiVector").Member("muvera").Member("center"), "spaces[0].multiVector.muvera.center" },
    };

    [Fact]
    public void MessageOf_InvalidArgument_PutsTheRenderedPathBeforeTheReason()
    {
        var error = RetrievalException.Invalid(FieldPath.Of("searches").Index(1).Member("k"), "must be between 1 and 10000, got 0");

        Assert.Equal("searches[1].k: must be between 1 and 10000, got 0", FieldPathRenderer.MessageOf(error));
    }

    [Fact]
    public void MessageOf_ErrorWithoutField_IsTheReason()
    {
        Assert.Equal("collection 'c' not found", FieldPathRenderer.MessageOf(RetrievalException.NotFound("collection 'c' not found")));
        Assert.Equal("too many searches", FieldPathRenderer.MessageOf(RetrievalException.Invalid(FieldPath.Root, "too many searches")));
    }
}
