using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// For every bucket b of a repetition, the token t minimizing (popcount(b XOR pattern_t), t) — the nearest sign
/// pattern, ties to the lowest token index — as one int key dist·2^24 + t, so that the minimum key is the answer.
/// </summary>
/// <remarks>
/// A Hamming distance transform: seed each occupied bucket with (0, its lowest token), then for each bit j relax
/// key[b] = min(key[b], key[b XOR 2^j] + 2^24). Hamming distance is a sum over bits, so one pass per bit is exact (the
/// transform is separable, like a Manhattan distance transform on a 2 × … × 2 grid). With 8 or more buckets the passes
/// run on Vector256 lanes: bits 8 and up pair whole vectors, bits 1, 2 and 4 swap lanes within a vector; every pass
/// is the same elementwise minimum as the scalar one, so both give the same keys. Keys stay below 2^31: a distance is
/// at most 16 and a token index below 2^24.
/// </remarks>
internal static class NearestKeys
{
    /// <summary>Token indices must be below this (24 bits of the key).</summary>
    public const int MaxTokens = 1 << TokenBits;

    private const int TokenBits = 24;
    private const int OneBit = 1 << TokenBits;
    private const int Unreached = int.MaxValue >> 1;

    /// <summary>The token index of a key.</summary>
    public static int TokenOf(int key) => key & (OneBit - 1);

    /// <summary>Fills <paramref name="keys"/> (one per bucket, a power of two long) from the tokens' patterns.</summary>
    public static void Compute(ReadOnlySpan<int> patterns, Span<int> keys)
    {
        BlockMath.Fill(ref MemoryMarshal.GetReference(keys), Unreached, keys.Length);
        for (var t = patterns.Length - 1; t >= 0; t--)
        {
            keys[patterns[t]] = t;
        }

        if (Vector256.IsHardwareAccelerated && keys.Length >= Vector256<int>.Count)
        {
            RelaxVector256(keys);
        }
        else
        {
            RelaxScalar(keys);
        }
    }

    /// <summary>The reference passes, one bucket at a time.</summary>
    internal static void RelaxScalar(Span<int> keys)
    {
        for (var bit = 1; bit < keys.Length; bit <<= 1)
        {
            for (var b = 0; b < keys.Length; b++)
            {
                keys[b] = Math.Min(keys[b], keys[b ^ bit] + OneBit);
            }
        }
    }

    /// <summary>
    /// The same passes on 8 buckets at a time. Within a bit's pass the scalar loop may read a key it already lowered in
    /// that pass; that never changes the result, because the final keys are the exact minima either way (a pass only
    /// ever lowers a key to a value some path of single-bit steps reaches).
    /// </summary>
    internal static void RelaxVector256(Span<int> keys)
    {
        ref var k = ref MemoryMarshal.GetReference(keys);
        var one = Vector256.Create(OneBit);
        var vectors = keys.Length / Vector256<int>.Count;
        // Constant shuffle indices compile to one permute instruction each (variable indices would not).
        for (var v = 0; v < vectors; v++)
        {
            var x = Vector256.LoadUnsafe(ref k, (nuint)(v * 8));
            x = Vector256.Min(x, Vector256.Shuffle(x, Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6)) + one);
            x = Vector256.Min(x, Vector256.Shuffle(x, Vector256.Create(2, 3, 0, 1, 6, 7, 4, 5)) + one);
            x = Vector256.Min(x, Vector256.Shuffle(x, Vector256.Create(4, 5, 6, 7, 0, 1, 2, 3)) + one);
            x.StoreUnsafe(ref k, (nuint)(v * 8));
        }

        // Bits 8, 16, …: bucket b pairs with b + bit when that bit of b is clear; both lie in whole vectors.
        for (var bit = 8; bit < keys.Length; bit <<= 1)
        {
            for (var b = 0; b < keys.Length; b += 2 * bit)
            {
                for (var i = b; i < b + bit; i += 8)
                {
                    ref var low = ref Unsafe.Add(ref k, i);
                    ref var high = ref Unsafe.Add(ref k, i + bit);
                    var lo = Vector256.LoadUnsafe(ref low);
                    var hi = Vector256.LoadUnsafe(ref high);
                    Vector256.Min(lo, hi + one).StoreUnsafe(ref low);
                    Vector256.Min(hi, lo + one).StoreUnsafe(ref high);
                }
            }
        }
    }
}
