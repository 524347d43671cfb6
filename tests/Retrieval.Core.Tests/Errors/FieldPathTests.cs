using Retrieval.Core.Errors;

namespace Retrieval.Core.Tests.Errors;

public sealed class FieldPathTests
{
    [Fact]
    public void Steps_AppendSegmentsInOrder()
    {
        var path = FieldPath.Of("items").Index(3).Member("vectors").Key("v1");

        Assert.Equal<FieldPathSegment>(
            [new MemberSegment("items"), new IndexSegment(3), new MemberSegment("vectors"), new KeySegment("v1")],
            path.Segments);
    }

    [Fact]
    public void Steps_LeaveTheOriginalPathUnchanged()
    {
        var items = FieldPath.Of("items");

        var first = items.Index(0);
        var second = items.Index(1);

        Assert.Equal((1, 2, 2), (items.Segments.Length, first.Segments.Length, second.Segments.Length));
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Root_HasNoSegments()
    {
        Assert.True(FieldPath.Root.IsRoot);
        Assert.False(FieldPath.Of("k").IsRoot);
        Assert.Equal(FieldPath.Of("k"), FieldPath.Root.Member("k"));
    }

    [Fact]
    public void Equals_ComparesSegmentsByValue()
    {
        var a = FieldPath.Of("searches").Index(2).Member("filter");
        var b = FieldPath.Of("searches").Index(2).Member("filter");

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, FieldPath.Of("searches").Index(1).Member("filter"));
        // A map key and a member of the same name are different steps, though they read alike.
        Assert.NotEqual(FieldPath.Of("vectors").Key("v1"), FieldPath.Of("vectors").Member("v1"));
    }

    [Fact]
    public void Steps_RejectValuesNoRequestHas()
    {
        Assert.Throws<ArgumentException>(() => FieldPath.Of(""));
        Assert.Throws<ArgumentOutOfRangeException>(() => FieldPath.Of("items").Index(-1));
        Assert.Throws<ArgumentNullException>(() => FieldPath.Of("vectors").Key(null!));
    }

    [Fact]
    public void Key_MayBeEmpty_BecauseACallerMaySendAnEmptyMapKey() =>
        Assert.Equal(new KeySegment(""), FieldPath.Of("vectors").Key("").Segments[^1]);

    [Theory]
    [MemberData(nameof(Readable))]
    public void ToString_ReadsLikeTheRequest(FieldPath path, string expected) => Assert.Equal(expected, path.ToString());

    public static TheoryData<FieldPath, string> Readable() => new()
    {
        { FieldPath.Root, "" },
        { FieldPath.Of("k"), "k" },
        { FieldPath.Of("items").Index(3).Member("vectors").Key("v1"), "items[3].vectors.v1" },
        { FieldPath.Of("ids").Index(0), "ids[0]" },
        { FieldPath.Of("vector").Member("rows").Index(1), "vector.rows[1]" },
    };
}
