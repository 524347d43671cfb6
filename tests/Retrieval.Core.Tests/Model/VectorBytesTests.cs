using CsCheck;
using Retrieval.Core.Model;

namespace Retrieval.Core.Tests.Model;

public sealed class VectorBytesTests
{
    [Fact]
    public void EncodeDecode_RoundTripsBitExactly() =>
        Gen.Single.Array[0, 300].Sample(vector =>
        {
            var decoded = VectorBytes.Decode(VectorBytes.Encode(vector));
            Assert.Equal(vector.Select(BitConverter.SingleToInt32Bits), decoded.Select(BitConverter.SingleToInt32Bits));
        });

    [Fact]
    public void Encode_IsLittleEndianFloat32() =>
        Assert.Equal(new byte[] { 0, 0, 0x80, 0x3F }, VectorBytes.Encode([1f]));

    [Fact]
    public void Decode_RaggedBlob_Throws() =>
        Assert.Throws<InvalidDataException>(() => VectorBytes.Decode(new byte[5]));
}
