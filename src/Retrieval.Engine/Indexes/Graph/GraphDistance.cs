using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Retrieval.Engine.Indexes.Graph;

/// <summary>How the graph compares vectors; every distance is lower-is-better.</summary>
internal enum GraphMetric : byte
{
    /// <summary>Negated inner product (cosine spaces hold unit vectors, so this ranks as cosine does).</summary>
    InnerProduct = 0,

    /// <summary>Squared Euclidean distance.</summary>
    SquaredL2 = 1,
}

/// <summary>
/// The distance kernels of the graph: one vector against one vector, unrolled over the widest SIMD registers the CPU
/// has. A graph walk compares a query against a few hundred to a few thousand vectors of 64–1024 floats one at a time,
/// where a general-purpose span routine's argument checks and remainder handling cost a noticeable share.
/// </summary>
internal static class GraphDistance
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Distance(GraphMetric metric, ref float a, ref float b, int dimension) =>
        metric == GraphMetric.InnerProduct ? -Dot(ref a, ref b, dimension) : SquaredL2(ref a, ref b, dimension);

    public static float Dot(ref float a, ref float b, int dimension)
    {
        var i = 0;
        float sum;
        if (Vector512.IsHardwareAccelerated && dimension >= 16)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            for (; i + 32 <= dimension; i += 32)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, (nuint)i), Vector512.LoadUnsafe(ref b, (nuint)i), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, (nuint)(i + 16)), Vector512.LoadUnsafe(ref b, (nuint)(i + 16)), acc1);
            }

            if (i + 16 <= dimension)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, (nuint)i), Vector512.LoadUnsafe(ref b, (nuint)i), acc0);
                i += 16;
            }

            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && dimension >= 8)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i + 16 <= dimension; i += 16)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, (nuint)(i + 8)), Vector256.LoadUnsafe(ref b, (nuint)(i + 8)), acc1);
            }

            if (i + 8 <= dimension)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i), acc0);
                i += 8;
            }

            sum = Vector256.Sum(acc0 + acc1);
        }
        else
        {
            var acc = Vector<float>.Zero;
            for (; i + Vector<float>.Count <= dimension; i += Vector<float>.Count)
            {
                acc += Vector.LoadUnsafe(ref a, (nuint)i) * Vector.LoadUnsafe(ref b, (nuint)i);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < dimension; i++)
        {
            sum += Unsafe.Add(ref a, i) * Unsafe.Add(ref b, i);
        }

        return sum;
    }

    public static float SquaredL2(ref float a, ref float b, int dimension)
    {
        var i = 0;
        float sum;
        if (Vector512.IsHardwareAccelerated && dimension >= 16)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            for (; i + 32 <= dimension; i += 32)
            {
                var d0 = Vector512.LoadUnsafe(ref a, (nuint)i) - Vector512.LoadUnsafe(ref b, (nuint)i);
                var d1 = Vector512.LoadUnsafe(ref a, (nuint)(i + 16)) - Vector512.LoadUnsafe(ref b, (nuint)(i + 16));
                acc0 = Vector512.FusedMultiplyAdd(d0, d0, acc0);
                acc1 = Vector512.FusedMultiplyAdd(d1, d1, acc1);
            }

            if (i + 16 <= dimension)
            {
                var d0 = Vector512.LoadUnsafe(ref a, (nuint)i) - Vector512.LoadUnsafe(ref b, (nuint)i);
                acc0 = Vector512.FusedMultiplyAdd(d0, d0, acc0);
                i += 16;
            }

            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && dimension >= 8)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i + 16 <= dimension; i += 16)
            {
                var d0 = Vector256.LoadUnsafe(ref a, (nuint)i) - Vector256.LoadUnsafe(ref b, (nuint)i);
                var d1 = Vector256.LoadUnsafe(ref a, (nuint)(i + 8)) - Vector256.LoadUnsafe(ref b, (nuint)(i + 8));
                acc0 = Vector256.FusedMultiplyAdd(d0, d0, acc0);
                acc1 = Vector256.FusedMultiplyAdd(d1, d1, acc1);
            }

            if (i + 8 <= dimension)
            {
                var d0 = Vector256.LoadUnsafe(ref a, (nuint)i) - Vector256.LoadUnsafe(ref b, (nuint)i);
                acc0 = Vector256.FusedMultiplyAdd(d0, d0, acc0);
                i += 8;
            }

            sum = Vector256.Sum(acc0 + acc1);
        }
        else
        {
            var acc = Vector<float>.Zero;
            for (; i + Vector<float>.Count <= dimension; i += Vector<float>.Count)
            {
                var d = Vector.LoadUnsafe(ref a, (nuint)i) - Vector.LoadUnsafe(ref b, (nuint)i);
                acc += d * d;
            }

            sum = Vector.Sum(acc);
        }

        for (; i < dimension; i++)
        {
            var d = Unsafe.Add(ref a, i) - Unsafe.Add(ref b, i);
            sum += d * d;
        }

        return sum;
    }
}
