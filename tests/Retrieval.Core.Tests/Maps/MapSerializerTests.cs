using Retrieval.Core.Maps;

namespace Retrieval.Core.Tests.Maps;

public class MapSerializerTests
{
    [Theory]
    [InlineData(0, false)]
    [InlineData(4, true)]
    public void Serialize_RoundTrip_KeepsEveryField(int hidden, bool normalize)
    {
        var map = CompatibilityMapTests.RandomMap(Synthetic.Rng(31), 7, 5, hidden, normalize);

        var bytes = MapSerializer.Serialize(map);
        var back = MapSerializer.Deserialize(bytes);

        Assert.Equal(bytes, MapSerializer.Serialize(back));
        Assert.Equal((map.Kind, map.InputDimension, map.OutputDimension, map.CompatiblePrefix, map.NormalizeOutput), (back.Kind, back.InputDimension, back.OutputDimension, back.CompatiblePrefix, back.NormalizeOutput));
        Assert.Equal(map.Weights.ToArray(), back.Weights.ToArray());
        Assert.Equal(map.Residual?.OutputWeights.ToArray(), back.Residual?.OutputWeights.ToArray());
        Assert.Equal("RMAP"u8.ToArray(), bytes[..4]);
    }

    [Fact]
    public void Deserialize_FlippedByte_FailsChecksum()
    {
        var bytes = MapSerializer.Serialize(CompatibilityMapTests.RandomMap(Synthetic.Rng(32), 3, 3));
        bytes[40] ^= 0x01;

        var ex = Assert.Throws<InvalidDataException>(() => MapSerializer.Deserialize(bytes));
        Assert.Contains("checksum", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_TruncatedOrUnknownVersion_Fails()
    {
        var bytes = MapSerializer.Serialize(CompatibilityMapTests.RandomMap(Synthetic.Rng(33), 3, 3));
        Assert.Throws<InvalidDataException>(() => MapSerializer.Deserialize(bytes.AsSpan(0, bytes.Length - 8)));
        bytes[4] = 9;
        Assert.Throws<InvalidDataException>(() => MapSerializer.Deserialize(bytes));
    }
}
