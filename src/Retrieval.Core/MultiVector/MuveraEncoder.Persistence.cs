using System.Buffers.Binary;

namespace Retrieval.Core.MultiVector;

public sealed partial class MuveraEncoder
{
    /// <summary>Format version of <see cref="Serialize"/>'s blob without a center (unchanged since the first release).</summary>
    public const ushort FormatVersion = 1;

    /// <summary>Format version of the blob of an encoder with a <see cref="MuveraParameters.Center"/>.</summary>
    public const ushort CenteredFormatVersion = 2;

    /// <summary>
    /// Version of the matrix generator (PRNG, draw order, Gaussian sampler). Bump it, and keep the old generator, if any
    /// of those ever changes: encodings already stored were made with the old matrices.
    /// </summary>
    public const ushort GeneratorVersion = 1;

    private const int BlobLength = 53;
    private const int HeaderLength = 45;
    private static ReadOnlySpan<byte> Magic => "MUVF"u8;

    /// <summary>
    /// The parameters and seed as a little-endian blob: "MUVF", u16 format version, u16 generator version, i32 d,
    /// i32 k_sim, i32 d_proj, i32 R, i32 d_final (0 = none), u8 fill flag, u64 seed, u64 <see cref="MatrixFingerprint"/>
    /// (45 bytes); then, in format 2 only, the center μ as d float32 bit patterns; then a u64 FNV-1a 64 checksum of
    /// everything before it. Without a center the blob is format 1 (53 bytes), exactly as before centering existed, so
    /// the state of existing spaces is unchanged.
    /// </summary>
    /// <remarks>
    /// The matrices themselves are not stored: <see cref="DeterministicRandom"/> regenerates them bit-for-bit from the
    /// seed (integer PRNG and correctly rounded arithmetic only). The stored fingerprint turns any deviation into an
    /// error at reload instead of silently different encodings. The center is not derivable, so it is stored verbatim.
    /// </remarks>
    public byte[] Serialize()
    {
        var p = Parameters;
        var center = p.Center is null ? ReadOnlySpan<float>.Empty : p.Center.AsSpan();
        var blob = new byte[BlobLength + (center.Length * sizeof(float))];
        var span = blob.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], p.Center is null ? FormatVersion : CenteredFormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], GeneratorVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], p.Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], p.KSim);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], p.DProj);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], p.Repetitions);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], p.DFinal ?? 0);
        span[28] = p.FillEmptyBuckets ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64LittleEndian(span[29..], p.Seed);
        BinaryPrimitives.WriteUInt64LittleEndian(span[37..], MatrixFingerprint);
        for (var c = 0; c < center.Length; c++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[(HeaderLength + (c * sizeof(float)))..], center[c]);
        }

        var body = blob.Length - sizeof(ulong);
        BinaryPrimitives.WriteUInt64LittleEndian(span[body..], Fnv1a64.Compute(span[..body]));
        return blob;
    }

    /// <summary>Rebuilds an encoder from <see cref="Serialize"/>'s blob and checks that its matrices are bit-identical.</summary>
    /// <exception cref="InvalidDataException">Wrong length, magic, version or checksum, or a matrix fingerprint mismatch.</exception>
    public static MuveraEncoder Deserialize(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < BlobLength || !blob[..4].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"not a MUVERA parameter blob ({blob.Length} bytes, at least {BlobLength} expected, magic MUVF)");
        }

        var body = blob.Length - sizeof(ulong);
        if (BinaryPrimitives.ReadUInt64LittleEndian(blob[body..]) != Fnv1a64.Compute(blob[..body]))
        {
            throw new InvalidDataException("MUVERA parameter blob is corrupt (checksum mismatch)");
        }

        var format = BinaryPrimitives.ReadUInt16LittleEndian(blob[4..]);
        var generator = BinaryPrimitives.ReadUInt16LittleEndian(blob[6..]);
        if (format is not (FormatVersion or CenteredFormatVersion) || generator != GeneratorVersion)
        {
            throw new InvalidDataException($"MUVERA blob format {format}, generator {generator}; this build reads formats {FormatVersion}–{CenteredFormatVersion}, generator {GeneratorVersion}");
        }

        var dimension = BinaryPrimitives.ReadInt32LittleEndian(blob[8..]);
        var centerLength = format == CenteredFormatVersion ? (long)dimension * sizeof(float) : 0;
        if (dimension < 1 || blob.Length != BlobLength + centerLength)
        {
            throw new InvalidDataException($"MUVERA blob format {format} for dimension {dimension} has {blob.Length} bytes, expected {BlobLength + centerLength}");
        }

        TokenCenter? center = null;
        if (format == CenteredFormatVersion)
        {
            var values = new float[dimension];
            for (var c = 0; c < dimension; c++)
            {
                values[c] = BinaryPrimitives.ReadSingleLittleEndian(blob[(HeaderLength + (c * sizeof(float)))..]);
            }

            center = new TokenCenter(values);
        }

        var dFinal = BinaryPrimitives.ReadInt32LittleEndian(blob[24..]);
        var parameters = new MuveraParameters
        {
            Dimension = dimension,
            KSim = BinaryPrimitives.ReadInt32LittleEndian(blob[12..]),
            DProj = BinaryPrimitives.ReadInt32LittleEndian(blob[16..]),
            Repetitions = BinaryPrimitives.ReadInt32LittleEndian(blob[20..]),
            DFinal = dFinal == 0 ? null : dFinal,
            FillEmptyBuckets = blob[28] != 0,
            Seed = BinaryPrimitives.ReadUInt64LittleEndian(blob[29..]),
            Center = center,
        };
        MuveraEncoder encoder;
        try
        {
            encoder = new MuveraEncoder(parameters);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"MUVERA blob holds invalid parameters: {e.Message}", e);
        }

        var expected = BinaryPrimitives.ReadUInt64LittleEndian(blob[37..]);
        if (encoder.MatrixFingerprint != expected)
        {
            throw new InvalidDataException($"regenerated MUVERA matrices differ from the persisted ones (fingerprint {encoder.MatrixFingerprint:X16}, stored {expected:X16})");
        }

        return encoder;
    }
}
