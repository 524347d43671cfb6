using Retrieval.Core.Errors;
using Retrieval.Engine.Indexes;

namespace Retrieval.Engine.Tests.Indexes;

public sealed class IndexSpecTests
{
    [Theory]
    [InlineData("HNSW32", "HNSW32")]
    [InlineData("hnsw16, sq8", "HNSW16,SQ8")]
    [InlineData("IVF1024,Flat", "IVF1024,Flat")]
    [InlineData("ivf64,pq16x8", "IVF64,PQ16x8")]
    [InlineData("IVF256,SQ8", "IVF256,SQ8")]
    [InlineData("HNSW32,efConstruction=200", "HNSW32,efConstruction=200")]
    [InlineData("hnsw16, sq8, EFCONSTRUCTION = 100", "HNSW16,SQ8,efConstruction=100")]
    public void Parse_ValidSpec_GivesCanonicalSpelling(string text, string canonical) =>
        Assert.Equal(canonical, IndexSpec.Parse(text, 128, FieldPath.Of("index")).ToString());

    [Theory]
    [InlineData("HNSW")]
    [InlineData("HNSW2")]
    [InlineData("HNSW32,PQ8")]
    [InlineData("IVF0,Flat")]
    [InlineData("IVF64,PQ7x8")]
    [InlineData("IVF64,PQ16x0")]
    [InlineData("IVF64")]
    [InlineData("Flat; DROP TABLE")]
    [InlineData("HNSW99999999999")]
    [InlineData("HNSW32,efConstruction=0")]
    [InlineData("HNSW32,efConstruction=4097")]
    [InlineData("HNSW32,efConstruction=")]
    [InlineData("HNSW32,efConstruction=40,SQ8")]
    [InlineData("IVF64,Flat,efConstruction=40")]
    public void Parse_BadSpec_IsInvalidArgumentNamingTheField(string text)
    {
        var error = Assert.Throws<RetrievalException>(() => IndexSpec.Parse(text, 128, FieldPath.Of("spaces").Index(0).Member("index")));
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("spaces[0].index", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EfConstruction_IsPartOfTheSpecSoChangingItIsAnotherSpec()
    {
        var plain = IndexSpec.Parse("HNSW32", 128, FieldPath.Of("index"));
        var tuned = IndexSpec.Parse("HNSW32,efConstruction=200", 128, FieldPath.Of("index"));
        Assert.Equal(0, plain.EfConstruction);
        Assert.Equal(200, tuned.EfConstruction);
        Assert.NotEqual(plain, tuned);
        Assert.Equal(64, plain.EfConstructionOr(64));
        Assert.Equal(200, tuned.EfConstructionOr(64));
        Assert.Equal(tuned, tuned.ForSegmentOf(10, 40));
    }

    [Fact]
    public void ForSegmentOf_SmallSegment_CapsNListOnly()
    {
        var spec = IndexSpec.Parse("IVF1024,PQ16x8", 128, FieldPath.Of("index"));
        Assert.Equal("IVF50,PQ16x8", spec.ForSegmentOf(2000, 40).ToString());
        Assert.Equal(spec, spec.ForSegmentOf(1_000_000, 40));
        var hnsw = IndexSpec.Parse("HNSW32", 128, FieldPath.Of("index"));
        Assert.Equal(hnsw, hnsw.ForSegmentOf(10, 40));
    }
}
