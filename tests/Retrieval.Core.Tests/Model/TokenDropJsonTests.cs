using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Storage;

namespace Retrieval.Core.Tests.Model;

/// <summary>A multi space's dropTokens survives the stored definition, and definitions stored before it read as none.</summary>
public sealed class TokenDropJsonTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    [Theory]
    [InlineData(TokenDrop.None)]
    [InlineData(TokenDrop.Special)]
    [InlineData(TokenDrop.Punctuation)]
    [InlineData(TokenDrop.Special | TokenDrop.Punctuation)]
    [InlineData(TokenDrop.StopWords)]
    [InlineData(TokenDrop.Special | TokenDrop.Punctuation | TokenDrop.StopWords)]
    public void DropTokens_RoundTrips(TokenDrop drop)
    {
        var settings = new MultiVectorSettings { Muvera = MuveraParameters.CompactPreset(4, 3), DropTokens = drop };
        var space = new SpaceDefinition("tok", 4, Metric.Cosine, new ModelRef("m", "1"), Encoder: new EncoderRef("enc", "1", "abc"), Kind: SpaceKind.Multi, MultiVector: settings);
        var definition = new CollectionDefinition("c", [space], "tok", Now, Now);

        var back = CollectionDefinitionJson.Deserialize("c", CollectionDefinitionJson.Serialize(definition), Now, Now);

        Assert.Equal(drop, back.Spaces.Single().MultiVector!.DropTokens);
        Assert.Equal(space, back.Spaces.Single());
    }

    [Fact]
    public void DefinitionWithoutDropTokens_ReadsAsNone()
    {
        var settings = new MultiVectorSettings { Muvera = MuveraParameters.CompactPreset(4, 3) };
        var space = new SpaceDefinition("tok", 4, Metric.Cosine, new ModelRef("m", "1"), Kind: SpaceKind.Multi, MultiVector: settings);
        var stored = CollectionDefinitionJson.Serialize(new CollectionDefinition("c", [space], "tok", Now, Now));
        Assert.Contains("\"dropTokens\":\"none\",", stored, StringComparison.Ordinal);
        var json = stored.Replace("\"dropTokens\":\"none\",", "", StringComparison.Ordinal);

        Assert.Equal(TokenDrop.None, CollectionDefinitionJson.Deserialize("c", json, Now, Now).Spaces.Single().MultiVector!.DropTokens);
    }
}
