using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// best[i] = max_j ⟨q_i, p_j⟩ for row-major Q (nq × d) and P (np × d): the inner loop of Chamfer/MaxSim.
/// </summary>
/// <remarks>
/// The SIMD path is a small blocked matrix product Q·Pᵀ: a 4 × 2 tile of (query, document) token pairs shares every
/// load, so each 8-float step does 6 loads for 8 FMAs, and the 8 accumulators plus 6 operands fit the 16 AVX
/// registers. Tails of the token loops are handled by clamping the row index to the last row: a duplicated row
/// recomputes a value it already has, and max is idempotent, so no separate tail kernels are needed.
/// </remarks>
internal static class ChamferKernel
{
    /// <summary>Dispatches to the Vector256 kernel when the hardware accelerates it and d ≥ 8, else to the scalar one.</summary>
    public static void MaxInnerProducts(ReadOnlySpan<float> q, int nq, ReadOnlySpan<float> p, int np, int d, Span<float> best)
    {
        if (Vector256.IsHardwareAccelerated && d >= Vector256<float>.Count)
        {
            MaxInnerProductsVector256(q, nq, p, np, d, best);
        }
        else
        {
            MaxInnerProductsScalar(q, nq, p, np, d, best);
        }
    }

    /// <summary>The reference: plain loops, one sequential float sum per pair.</summary>
    public static void MaxInnerProductsScalar(ReadOnlySpan<float> q, int nq, ReadOnlySpan<float> p, int np, int d, Span<float> best)
    {
        for (var i = 0; i < nq; i++)
        {
            var qi = q.Slice(i * d, d);
            var max = float.NegativeInfinity;
            for (var j = 0; j < np; j++)
            {
                var pj = p.Slice(j * d, d);
                var dot = 0f;
                for (var k = 0; k < d; k++)
                {
                    dot += qi[k] * pj[k];
                }

                max = MathF.Max(max, dot);
            }

            best[i] = max;
        }
    }

    public static void MaxInnerProductsVector256(ReadOnlySpan<float> q, int nq, ReadOnlySpan<float> p, int np, int d, Span<float> best)
    {
        ref var qBase = ref MemoryMarshal.GetReference(q);
        ref var pBase = ref MemoryMarshal.GetReference(p);
        var vectorEnd = d & ~(Vector256<float>.Count - 1);
        for (var i = 0; i < nq; i += 4)
        {
            // Clamped rows: past the end they repeat the last query row (see remarks).
            var i1 = Math.Min(i + 1, nq - 1);
            var i2 = Math.Min(i + 2, nq - 1);
            var i3 = Math.Min(i + 3, nq - 1);
            ref var q0 = ref Unsafe.Add(ref qBase, i * d);
            ref var q1 = ref Unsafe.Add(ref qBase, i1 * d);
            ref var q2 = ref Unsafe.Add(ref qBase, i2 * d);
            ref var q3 = ref Unsafe.Add(ref qBase, i3 * d);
            float b0 = float.NegativeInfinity, b1 = float.NegativeInfinity, b2 = float.NegativeInfinity, b3 = float.NegativeInfinity;
            for (var j = 0; j < np; j += 2)
            {
                ref var p0 = ref Unsafe.Add(ref pBase, j * d);
                ref var p1 = ref Unsafe.Add(ref pBase, Math.Min(j + 1, np - 1) * d);
                Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
                for (var k = 0; k < vectorEnd; k += Vector256<float>.Count)
                {
                    var v0 = Vector256.LoadUnsafe(ref p0, (nuint)k);
                    var v1 = Vector256.LoadUnsafe(ref p1, (nuint)k);
                    var x = Vector256.LoadUnsafe(ref q0, (nuint)k);
                    a00 = MultiplyAdd(x, v0, a00);
                    a01 = MultiplyAdd(x, v1, a01);
                    x = Vector256.LoadUnsafe(ref q1, (nuint)k);
                    a10 = MultiplyAdd(x, v0, a10);
                    a11 = MultiplyAdd(x, v1, a11);
                    x = Vector256.LoadUnsafe(ref q2, (nuint)k);
                    a20 = MultiplyAdd(x, v0, a20);
                    a21 = MultiplyAdd(x, v1, a21);
                    x = Vector256.LoadUnsafe(ref q3, (nuint)k);
                    a30 = MultiplyAdd(x, v0, a30);
                    a31 = MultiplyAdd(x, v1, a31);
                }

                float s00 = Vector256.Sum(a00), s01 = Vector256.Sum(a01), s10 = Vector256.Sum(a10), s11 = Vector256.Sum(a11);
                float s20 = Vector256.Sum(a20), s21 = Vector256.Sum(a21), s30 = Vector256.Sum(a30), s31 = Vector256.Sum(a31);
                for (var k = vectorEnd; k < d; k++)
                {
                    var y0 = Unsafe.Add(ref p0, k);
                    var y1 = Unsafe.Add(ref p1, k);
                    s00 += Unsafe.Add(ref q0, k) * y0;
                    s01 += Unsafe.Add(ref q0, k) * y1;
                    s10 += Unsafe.Add(ref q1, k) * y0;
                    s11 += Unsafe.Add(ref q1, k) * y1;
                    s20 += Unsafe.Add(ref q2, k) * y0;
                    s21 += Unsafe.Add(ref q2, k) * y1;
                    s30 += Unsafe.Add(ref q3, k) * y0;
                    s31 += Unsafe.Add(ref q3, k) * y1;
                }

                b0 = MathF.Max(b0, MathF.Max(s00, s01));
                b1 = MathF.Max(b1, MathF.Max(s10, s11));
                b2 = MathF.Max(b2, MathF.Max(s20, s21));
                b3 = MathF.Max(b3, MathF.Max(s30, s31));
            }

            // Duplicated (clamped) rows write the same value twice; write the real row i last.
            best[i3] = b3;
            best[i2] = b2;
            best[i1] = b1;
            best[i] = b0;
        }
    }

    /// <summary>a·b + c, fused (one rounding) where the CPU has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : (a * b) + c;
}
