using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Retrieval.Core.Search.Kernels;

/// <summary>
/// AVX2 + FMA kernels: one Vector256 accumulator per (query, row) pair, eight components per step, one fixed
/// reduction order, then the last dim mod 8 components in scalar FMAs. Several rows (and queries) per pass
/// so that each loaded query vector (and row vector) feeds several independent FMA chains.
/// </summary>
/// <remarks>
/// Every method accumulates a pair in the same order, reduces it with <see cref="Reduce4"/> and adds the tail the
/// same way, so a pair scores bit-identically whichever method computed it (see <see cref="IScoreKernel"/>).
/// Needs AVX (vhaddps) and FMA; every FMA-capable x86 also has AVX2.
/// </remarks>
internal readonly unsafe struct Vector256Kernel<TOp> : IScoreKernel
    where TOp : struct, IVectorScoreOp
{
    /// <summary>Whether the hardware runs these kernels; callers must check before use.</summary>
    public static bool IsSupported => Fma.IsSupported && Avx.IsSupported;

    public static float Score(float* q, float* x, int dim)
    {
        var acc = Vector256<float>.Zero;
        var i = 0;
        for (; i <= dim - 8; i += 8)
        {
            acc = TOp.Accumulate(acc, Vector256.Load(q + i), Vector256.Load(x + i));
        }

        var zero = Vector256<float>.Zero;
        var sum = Reduce4(acc, zero, zero, zero).ToScalar();
        for (; i < dim; i++)
        {
            sum = TOp.Accumulate(sum, q[i], x[i]);
        }

        return TOp.Finish(sum);
    }

    public static void Score1x4(float* q, float* x, nint xStride, int dim, float* scores)
    {
        var x0 = x;
        var x1 = x + xStride;
        var x2 = x1 + xStride;
        var x3 = x2 + xStride;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var i = 0;
        for (; i <= dim - 8; i += 8)
        {
            var qv = Vector256.Load(q + i);
            a0 = TOp.Accumulate(a0, qv, Vector256.Load(x0 + i));
            a1 = TOp.Accumulate(a1, qv, Vector256.Load(x1 + i));
            a2 = TOp.Accumulate(a2, qv, Vector256.Load(x2 + i));
            a3 = TOp.Accumulate(a3, qv, Vector256.Load(x3 + i));
        }

        Finish(Reduce4(a0, a1, a2, a3), q, x, xStride, i, dim, scores);
    }

    // The register tile of the batch scan: 16 accumulators, 8 loads per 16 FMAs, so it is bound by FMA
    // throughput rather than by loads. With AVX-512VL present the JIT's EVEX encoding gives it 32 ymm
    // registers and nothing spills; on AVX2-only parts a few accumulators spill to L1.
    public static void Score4x4(float* q, nint qStride, float* x, nint xStride, int dim, float* scores, nint scoresStride)
    {
        var q0 = q;
        var q1 = q + qStride;
        var q2 = q1 + qStride;
        var q3 = q2 + qStride;
        var x0 = x;
        var x1 = x + xStride;
        var x2 = x1 + xStride;
        var x3 = x2 + xStride;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        var i = 0;
        Vector256<float> qv;
        for (; i <= dim - 8; i += 8)
        {
            var r0 = Vector256.Load(x0 + i);
            var r1 = Vector256.Load(x1 + i);
            var r2 = Vector256.Load(x2 + i);
            var r3 = Vector256.Load(x3 + i);
            qv = Vector256.Load(q0 + i);
            a00 = TOp.Accumulate(a00, qv, r0);
            a01 = TOp.Accumulate(a01, qv, r1);
            a02 = TOp.Accumulate(a02, qv, r2);
            a03 = TOp.Accumulate(a03, qv, r3);
            qv = Vector256.Load(q1 + i);
            a10 = TOp.Accumulate(a10, qv, r0);
            a11 = TOp.Accumulate(a11, qv, r1);
            a12 = TOp.Accumulate(a12, qv, r2);
            a13 = TOp.Accumulate(a13, qv, r3);
            qv = Vector256.Load(q2 + i);
            a20 = TOp.Accumulate(a20, qv, r0);
            a21 = TOp.Accumulate(a21, qv, r1);
            a22 = TOp.Accumulate(a22, qv, r2);
            a23 = TOp.Accumulate(a23, qv, r3);
            qv = Vector256.Load(q3 + i);
            a30 = TOp.Accumulate(a30, qv, r0);
            a31 = TOp.Accumulate(a31, qv, r1);
            a32 = TOp.Accumulate(a32, qv, r2);
            a33 = TOp.Accumulate(a33, qv, r3);
        }

        Finish(Reduce4(a00, a01, a02, a03), q0, x, xStride, i, dim, scores);
        Finish(Reduce4(a10, a11, a12, a13), q1, x, xStride, i, dim, scores + scoresStride);
        Finish(Reduce4(a20, a21, a22, a23), q2, x, xStride, i, dim, scores + (2 * scoresStride));
        Finish(Reduce4(a30, a31, a32, a33), q3, x, xStride, i, dim, scores + (3 * scoresStride));
    }

    /// <summary>
    /// [Σa, Σb, Σc, Σd], each lane summed as ((v0+v1)+(v2+v3)) + ((v4+v5)+(v6+v7)) and depending only on its
    /// own accumulator — the property that makes scores independent of tile position.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Reduce4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        var ab = Avx.HorizontalAdd(a, b);
        var cd = Avx.HorizontalAdd(c, d);
        var abcd = Avx.HorizontalAdd(ab, cd);
        return abcd.GetLower() + abcd.GetUpper();
    }

    /// <summary>
    /// Adds the last dim mod 8 components (from <paramref name="tail"/> on) of four pairs in scalar FMAs, then
    /// stores the four scores. Scalar rather than masked loads: VEX masked loads can only use ymm0–15, which
    /// forced a spill in the 4 × 4 tile's main loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Vector128<float> sums, float* q, float* x, nint xStride, int tail, int dim, float* scores)
    {
        if (tail == dim)
        {
            TOp.Finish(sums).Store(scores);
            return;
        }

        for (var r = 0; r < 4; r++)
        {
            var sum = sums.GetElement(r);
            var row = x + (r * xStride);
            for (var i = tail; i < dim; i++)
            {
                sum = TOp.Accumulate(sum, q[i], row[i]);
            }

            scores[r] = TOp.Finish(sum);
        }
    }
}
