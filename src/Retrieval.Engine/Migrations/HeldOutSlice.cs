using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// The stable, seeded randomness of online refit: which items' pairs are held out (a hash of the item id, so the slice is
/// the same after a restart and on every node) and where a reservoir sample puts its next pair.
/// </summary>
internal static class HeldOutSlice
{
    /// <summary>True when the item belongs to the held-out share <paramref name="fraction"/> under <paramref name="seed"/>.</summary>
    public static bool Contains(string itemId, double fraction, int seed) => Unit(Encoding.UTF8.GetBytes(itemId), seed) < fraction;

    /// <summary>
    /// Algorithm R's slot for the pair numbered <paramref name="index"/> (0-based) in a reservoir of
    /// <paramref name="capacity"/>: the index itself while the reservoir fills, then a uniform draw from [0, index]
    /// kept only when it falls inside. The draw is a hash of (seed, index), so a restart continues the same sample
    /// without any random state to persist.
    /// </summary>
    public static int? ReservoirSlot(long index, int capacity, int seed)
    {
        if (index < capacity)
        {
            return (int)index;
        }

        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, index);
        var draw = (long)(Unit(bytes, seed ^ 0x5EED) * (index + 1));
        return draw < capacity ? (int)draw : null;
    }

    /// <summary>A uniform number in [0, 1) from the 53 high bits of a seeded XxHash64.</summary>
    private static double Unit(ReadOnlySpan<byte> data, int seed) => (XxHash64.HashToUInt64(data, seed) >> 11) * (1.0 / (1UL << 53));
}
