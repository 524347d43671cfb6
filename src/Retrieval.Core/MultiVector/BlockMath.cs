using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// Element-wise kernels for the short blocks of FDE encoding (d_proj floats, typically 8 or 16), on references: the
/// encoder calls them hundreds of times per item, so they take no spans (no slicing or bounds checks per call) and
/// have no size dispatch (which <c>TensorPrimitives</c> pays per call and which dominates at these lengths).
/// </summary>
internal static class BlockMath
{
    /// <summary>target[i] /= divisor for i &lt; length (a true division, so a mean of equal values is exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Divide(ref float target, float divisor, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var d = Vector256.Create(divisor);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref target, (nuint)i) / d).StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref target, i) /= divisor;
        }
    }

    /// <summary>
    /// target[i] = source[i] when <paramref name="mask"/> is −1, +0 when it is 0 (a bitwise AND, no branch on the mask).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyMasked(ref float source, ref float target, int mask, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var m = Vector256.Create(mask).AsSingle();
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref source, (nuint)i) & m).StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref target, i) = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(Unsafe.Add(ref source, i)) & mask);
        }
    }

    /// <summary>
    /// target[i] += source[i] when <paramref name="mask"/> is −1; target unchanged (bit for bit, even −0) when it is 0.
    /// A select, not a branch: whether a token opens its bucket is unpredictable on short items.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddMasked(ref float source, ref float target, int mask, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var m = Vector256.Create(mask).AsSingle();
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var t = Vector256.LoadUnsafe(ref target, (nuint)i);
                Vector256.ConditionalSelect(m, t + Vector256.LoadUnsafe(ref source, (nuint)i), t).StoreUnsafe(ref target, (nuint)i);
            }
        }

        if (mask != 0)
        {
            for (; i < length; i++)
            {
                Unsafe.Add(ref target, i) += Unsafe.Add(ref source, i);
            }
        }
    }

    /// <summary>target[i] = value for i &lt; length, inline (the encoder's int arrays are a few vectors long; a call into the general fill cost more).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fill(ref int target, int value, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var v = Vector256.Create(value);
            for (; i <= length - Vector256<int>.Count; i += Vector256<int>.Count)
            {
                v.StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref target, i) = value;
        }
    }

    /// <summary>target[i] = source[i] when <paramref name="mask"/> is −1; target unchanged when it is 0 (a select, no branch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyWhere(ref float source, ref float target, int mask, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var m = Vector256.Create(mask).AsSingle();
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256.ConditionalSelect(m, Vector256.LoadUnsafe(ref source, (nuint)i), Vector256.LoadUnsafe(ref target, (nuint)i)).StoreUnsafe(ref target, (nuint)i);
            }
        }

        if (mask != 0)
        {
            for (; i < length; i++)
            {
                Unsafe.Add(ref target, i) = Unsafe.Add(ref source, i);
            }
        }
    }
}
