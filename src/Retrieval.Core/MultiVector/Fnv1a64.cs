namespace Retrieval.Core.MultiVector;

/// <summary>64-bit FNV-1a: a tiny, dependency-free checksum for persisted blobs and matrix fingerprints (not cryptographic).</summary>
internal struct Fnv1a64
{
    private const ulong OffsetBasis = 0xCBF29CE484222325UL;
    private const ulong Prime = 0x100000001B3UL;

    private ulong _hash;
    private bool _started;

    public readonly ulong Value => _started ? _hash : OffsetBasis;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (!_started)
        {
            _hash = OffsetBasis;
            _started = true;
        }

        foreach (var b in bytes)
        {
            _hash = (_hash ^ b) * Prime;
        }
    }

    /// <summary>Appends the four little-endian bytes of <paramref name="value"/>'s IEEE-754 bits.</summary>
    public void Append(float value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(float)];
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        Append(bytes);
    }

    public void Append(ReadOnlySpan<float> values) => Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));

    public static ulong Compute(ReadOnlySpan<byte> bytes)
    {
        var hash = default(Fnv1a64);
        hash.Append(bytes);
        return hash.Value;
    }
}
