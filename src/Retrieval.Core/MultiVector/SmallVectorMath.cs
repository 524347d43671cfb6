using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// Element-wise kernels for the short blocks of FDE encoding (d_proj floats, typically 8 or 16): inlined Vector256
/// loops without the size dispatch that <c>TensorPrimitives</c> pays per call, which dominates at these lengths.
/// </summary>
internal static class SmallVectorMath
{
    /// <summary>target[i] += source[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddInPlace(Span<float> target, ReadOnlySpan<float> source)
    {
        ref var t = ref MemoryMarshal.GetReference(target);
        ref var s = ref MemoryMarshal.GetReference(source);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= target.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref t, (nuint)i) + Vector256.LoadUnsafe(ref s, (nuint)i)).StoreUnsafe(ref t, (nuint)i);
            }
        }

        for (; i < target.Length; i++)
        {
            Unsafe.Add(ref t, i) += Unsafe.Add(ref s, i);
        }
    }

    /// <summary>target[i] /= divisor (a true division, so a mean of equal values is exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DivideInPlace(Span<float> target, float divisor)
    {
        ref var t = ref MemoryMarshal.GetReference(target);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var d = Vector256.Create(divisor);
            for (; i <= target.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref t, (nuint)i) / d).StoreUnsafe(ref t, (nuint)i);
            }
        }

        for (; i < target.Length; i++)
        {
            Unsafe.Add(ref t, i) /= divisor;
        }
    }
}
