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
    /// <summary>target[i] = source[i] for i &lt; length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ref float source, ref float target, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256.LoadUnsafe(ref source, (nuint)i).StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref target, i) = Unsafe.Add(ref source, i);
        }
    }

    /// <summary>target[i] += source[i] for i &lt; length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref float source, ref float target, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref target, (nuint)i) + Vector256.LoadUnsafe(ref source, (nuint)i)).StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref target, i) += Unsafe.Add(ref source, i);
        }
    }

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

    /// <summary>target[i] = 0 for i &lt; length, without a call into the general memset (a call per block cost more than the stores).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Clear(ref float target, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float>.Zero.StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref target, i) = 0;
        }
    }
}
