using System.Buffers.Binary;

namespace Retrieval.Core.MultiVector;

public sealed partial class MuveraEncoder
{
    /// <summary>Format version of <see cref="Serialize"/>'s blob.</summary>
    public const ushort FormatVersion = 1;

    /// <summary>
    /// Version of the matrix generator (PRNG, draw order, Gaussian sampler). Bump it, and keep the old generator, if any
    /// of those ever changes: encodings already stored were made with the old matrices.
    /// </summary>
    public const ushort GeneratorVersion = 1;

    private const int BlobLength = 53;
    private static ReadOnlySpan<byte> Magic => "MUVF"u8;

    /// <summary>
    /// The parameters and seed as a 53-byte little-endian blob: "MUVF", u16 format version, u16 generator version,
    /// i32 d, i32 k_sim, i32 d_proj, i32 R, i32 d_final (0 = none), u8 fill flag, u64 seed, u64
    /// <see cref="MatrixFingerprint"/>, u64 FNV-1a 64 checksum of the preceding 45 bytes.
    /// </summary>
    /// <remarks>
    /// The matrices themselves are not stored: <see cref="DeterministicRandom"/> regenerates them bit-for-bit from the
    /// seed (integer PRNG and correctly rounded arithmetic only). The stored fingerprint turns any deviation into an
    /// error at reload instead of silently different encodings.
    /// </remarks>
    public byte[] Serialize()
    {
        var p = Parameters;
        var blob = new byte[BlobLength];
        var span = blob.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], GeneratorVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], p.Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], p.KSim);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], p.DProj);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], p.Repetitions);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], p.DFinal ?? 0);
        span[28] = p.FillEmptyBuckets ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64LittleEndian(span[29..], p.Seed);
        BinaryPrimitives.WriteUInt64LittleEndian(span[37..], MatrixFingerprint);
        BinaryPrimitives.WriteUInt64LittleEndian(span[45..], Fnv1a64.Compute(span[..45]));
        return blob;
    }

    /// <summary>Rebuilds an encoder from <see cref="Serialize"/>'s blob and checks that its matrices are bit-identical.</summary>
    /// <exception cref="InvalidDataException">Wrong length, magic, version or checksum, or a matrix fingerprint mismatch.</exception>
    public static MuveraEncoder Deserialize(ReadOnlySpan<byte> blob)
    {
        if (blob.Length != BlobLength || !blob[..4].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"not a MUVERA parameter blob ({blob.Length} bytes, {BlobLength} expected, magic MUVF)");
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(blob[45..]) != Fnv1a64.Compute(blob[..45]))
        {
            throw new InvalidDataException("MUVERA parameter blob is corrupt (checksum mismatch)");
        }

        var format = BinaryPrimitives.ReadUInt16LittleEndian(blob[4..]);
        var generator = BinaryPrimitives.ReadUInt16LittleEndian(blob[6..]);
        if (format != FormatVersion || generator != GeneratorVersion)
        {
            throw new InvalidDataException($"MUVERA blob format {format}, generator {generator}; this build reads format {FormatVersion}, generator {GeneratorVersion}");
        }

        var dFinal = BinaryPrimitives.ReadInt32LittleEndian(blob[24..]);
        var parameters = new MuveraParameters
        {
            Dimension = BinaryPrimitives.ReadInt32LittleEndian(blob[8..]),
            KSim = BinaryPrimitives.ReadInt32LittleEndian(blob[12..]),
            DProj = BinaryPrimitives.ReadInt32LittleEndian(blob[16..]),
            Repetitions = BinaryPrimitives.ReadInt32LittleEndian(blob[20..]),
            DFinal = dFinal == 0 ? null : dFinal,
            FillEmptyBuckets = blob[28] != 0,
            Seed = BinaryPrimitives.ReadUInt64LittleEndian(blob[29..]),
        };
        var encoder = new MuveraEncoder(parameters);
        var expected = BinaryPrimitives.ReadUInt64LittleEndian(blob[37..]);
        if (encoder.MatrixFingerprint != expected)
        {
            throw new InvalidDataException($"regenerated MUVERA matrices differ from the persisted ones (fingerprint {encoder.MatrixFingerprint:X16}, stored {expected:X16})");
        }

        return encoder;
    }
}
