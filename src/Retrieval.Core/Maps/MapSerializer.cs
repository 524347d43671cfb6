using System.Buffers.Binary;

namespace Retrieval.Core.Maps;

/// <summary>
/// The persisted binary form of a <see cref="CompatibilityMap"/>, little-endian throughout:
/// <code>
/// "RMAP" | u16 version (1) | u16 kind | i32 d_in | i32 d_out | i32 compatiblePrefix | i32 hidden (0: none) | u32 flags (bit 0: normalize)
/// f32 μ_in[d_in] | f32 W[d_in·d_out] | f32 b[d_out] | (hidden > 0) f32 A[d_in·h] | f32 a[h] | f32 B[h·d_out]
/// u32 CRC-32 (IEEE) of every preceding byte
/// </code>
/// </summary>
public static class MapSerializer
{
    /// <summary>The format version written by <see cref="Serialize"/>.</summary>
    public const ushort CurrentVersion = 1;

    private const int HeaderLength = 28;
    private static ReadOnlySpan<byte> Magic => "RMAP"u8;

    /// <summary>Encodes a map.</summary>
    public static byte[] Serialize(CompatibilityMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var hidden = map.Residual?.Hidden ?? 0;
        var floats = FloatCount(map.InputDimension, map.OutputDimension, hidden);
        var bytes = new byte[HeaderLength + (floats * 4) + 4];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], CurrentVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], (ushort)map.Kind);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], map.InputDimension);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], map.OutputDimension);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], map.CompatiblePrefix);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], hidden);
        BinaryPrimitives.WriteUInt32LittleEndian(span[24..], map.NormalizeOutput ? 1u : 0u);
        var offset = HeaderLength;
        offset = WriteFloats(span, offset, map.InputMean);
        offset = WriteFloats(span, offset, map.Weights);
        offset = WriteFloats(span, offset, map.Bias);
        if (map.Residual is { } r)
        {
            offset = WriteFloats(span, offset, r.InputWeights);
            offset = WriteFloats(span, offset, r.HiddenBias);
            offset = WriteFloats(span, offset, r.OutputWeights);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(span[offset..], Crc32.Compute(span[..offset]));
        return bytes;
    }

    /// <summary>Decodes a map written by <see cref="Serialize"/>.</summary>
    /// <exception cref="InvalidDataException">Wrong magic, unknown version, truncated data or checksum mismatch.</exception>
    public static CompatibilityMap Deserialize(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength + 4 || !data[..4].SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a compatibility map (bad magic or too short)");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
        if (version != CurrentVersion)
        {
            throw new InvalidDataException($"unsupported compatibility map version {version}");
        }

        var kind = (MapKind)BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        var dIn = BinaryPrimitives.ReadInt32LittleEndian(data[8..]);
        var dOut = BinaryPrimitives.ReadInt32LittleEndian(data[12..]);
        var prefix = BinaryPrimitives.ReadInt32LittleEndian(data[16..]);
        var hidden = BinaryPrimitives.ReadInt32LittleEndian(data[20..]);
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(data[24..]);
        if (dIn <= 0 || dOut <= 0 || hidden < 0 || dIn > 1 << 16 || dOut > 1 << 16 || hidden > 1 << 16)
        {
            throw new InvalidDataException($"implausible map dimensions {dIn}→{dOut}, hidden {hidden}");
        }

        var expected = HeaderLength + (FloatCount(dIn, dOut, hidden) * 4L) + 4;
        if (data.Length != expected)
        {
            throw new InvalidDataException($"map data is {data.Length} bytes, its header implies {expected}");
        }

        var body = data[..^4];
        if (Crc32.Compute(body) != BinaryPrimitives.ReadUInt32LittleEndian(data[^4..]))
        {
            throw new InvalidDataException("compatibility map checksum mismatch");
        }

        var offset = HeaderLength;
        var mean = ReadFloats(body, ref offset, dIn);
        var weights = ReadFloats(body, ref offset, (long)dIn * dOut);
        var bias = ReadFloats(body, ref offset, dOut);
        ResidualLayer? residual = null;
        if (hidden > 0)
        {
            var a = ReadFloats(body, ref offset, (long)dIn * hidden);
            var ab = ReadFloats(body, ref offset, hidden);
            var b = ReadFloats(body, ref offset, (long)hidden * dOut);
            residual = new ResidualLayer(dIn, hidden, dOut, a, ab, b);
        }

        return new CompatibilityMap(kind, dIn, dOut, weights, mean, bias, (flags & 1) != 0, prefix, residual);
    }

    private static int FloatCount(int dIn, int dOut, int hidden) =>
        checked(dIn + (dIn * dOut) + dOut + (hidden > 0 ? (dIn * hidden) + hidden + (hidden * dOut) : 0));

    private static int WriteFloats(Span<byte> span, int offset, ReadOnlySpan<float> values)
    {
        foreach (var v in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[offset..], v);
            offset += 4;
        }

        return offset;
    }

    private static float[] ReadFloats(ReadOnlySpan<byte> span, ref int offset, long count)
    {
        var values = new float[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(span[offset..]);
            offset += 4;
        }

        return values;
    }
}
