using Retrieval.Core.MultiVector;

namespace Retrieval.Core.Tests.MultiVector;

/// <summary>Token vectors kept in float32, float16 or int8: bounded error, Chamfer on the stored values, byte round trip.</summary>
public sealed class StoredTokensTests
{
    [Theory]
    [InlineData(TokenPrecision.Full, 4 * 7 * 24)]
    [InlineData(TokenPrecision.Float16, 2 * 7 * 24)]
    [InlineData(TokenPrecision.ScaledInt8, 7 * (24 + 4))]
    public void Encode_DecodesWithinTheFormatsError_ScoresTheDecodedRows_AndRoundTripsItsBytes(TokenPrecision precision, long bytes)
    {
        var random = new DeterministicRandom(3);
        var tokens = TokenMatrix.FromRowMajor(Enumerable.Range(0, 7 * 24).Select(_ => (float)random.NextGaussian()).ToArray(), 24);
        var query = TokenMatrix.FromRowMajor(Enumerable.Range(0, 3 * 24).Select(_ => (float)random.NextGaussian()).ToArray(), 24);

        var stored = StoredTokens.Encode(tokens, precision);

        Assert.Equal(bytes, stored.Bytes);
        var decoded = stored.Decode();
        for (var t = 0; t < tokens.Count; t++)
        {
            var largest = tokens.Row(t).ToArray().Max(MathF.Abs);
            for (var k = 0; k < 24; k++)
            {
                var error = MathF.Abs(decoded.Row(t)[k] - tokens.Row(t)[k]);
                var bound = precision switch
                {
                    TokenPrecision.Full => 0f,
                    TokenPrecision.Float16 => MathF.Max(MathF.Abs(tokens.Row(t)[k]) / 2048f, 2.9802322e-8f), // subnormal halves: half a step of 2^-24
                    _ => largest / 254f * 1.0001f,
                };
                Assert.True(error <= bound, $"token {t}[{k}]: error {error} > {bound}");
            }
        }

        Assert.Equal(Chamfer.ScoreScalar(query, decoded), stored.Score(query), 1e-4f);

        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            stored.WriteTo(writer);
        }

        Assert.Equal(bytes, buffer.Length);
        buffer.Position = 0;
        using var reader = new BinaryReader(buffer);
        var read = StoredTokens.ReadFrom(reader, precision, tokens.Count, 24);
        Assert.True(decoded.Values.SequenceEqual(read.Decode().Values));
    }

    [Fact]
    public void Int8_AllZeroToken_StaysZero_AndATruncatedStreamIsRefused()
    {
        var tokens = TokenMatrix.FromRowMajor(new float[] { 0, 0, 0, 0, 1, -2, 0.5f, 0 }, 4);
        var stored = StoredTokens.Encode(tokens, TokenPrecision.ScaledInt8);
        Assert.Equal(new float[] { 0, 0, 0, 0 }, stored.Decode().Row(0).ToArray());
        Assert.Equal(-2f, stored.Decode().Row(1)[1]);

        using var reader = new BinaryReader(new MemoryStream(new byte[10]));
        Assert.Throws<InvalidDataException>(() => StoredTokens.ReadFrom(reader, TokenPrecision.ScaledInt8, 2, 4));
    }
}
