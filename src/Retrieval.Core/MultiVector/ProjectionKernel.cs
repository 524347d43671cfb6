using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// Y = X·M for row-major X (n × d) and a projection M (d × cols, cols a multiple of <see cref="ColumnBlock"/>) stored
/// as packed panels (see <see cref="PackedIndex"/>): the hot loop of FDE encoding, where the columns of M are all
/// SimHash hyperplanes and all ±1/√d_proj projection rows of every repetition stacked together.
/// </summary>
/// <remarks>
/// Register-tiled like a GEMM micro-kernel: 4 token rows × 24 output columns (3 vectors) = 12 accumulators; per k,
/// 3 loads of M and 4 broadcasts of X feed 12 FMAs, and no horizontal sums are needed because each accumulator lane
/// is one output. The panel loop is outermost: a panel (d × 24 floats, 9 KiB at d = 96) is read sequentially and
/// stays in L1 while every token block uses it, so M streams from L2 once per item. The last 1–3 rows take a 3-row
/// tile (short items of n ≢ 0 mod 4 tokens waste less than with a clamped 4-row tile); every output is the same chain
/// of FMAs in k order whatever the tile, so the result does not depend on the tiling.
/// </remarks>
internal static class ProjectionKernel
{
    /// <summary>Output columns per tile; the caller pads M's columns to a multiple of this.</summary>
    public const int ColumnBlock = 24;

    /// <summary>
    /// Position of M[k, column] in the packed layout: panel p = column / 24 holds columns [24p, 24p + 24) as a
    /// contiguous d × 24 row-major block, so the kernel reads it front to back.
    /// </summary>
    public static int PackedIndex(int k, int column, int d) =>
        ((column / ColumnBlock) * d * ColumnBlock) + (k * ColumnBlock) + (column % ColumnBlock);

    public static void Multiply(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> m, int cols, Span<float> y)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            MultiplyVector256(x, n, d, m, cols, y);
        }
        else
        {
            MultiplyScalar(x, n, d, m, cols, y);
        }
    }

    /// <summary>The reference: y[i, c] = Σ_k x[i, k]·M[k, c], summed in k order.</summary>
    public static void MultiplyScalar(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> m, int cols, Span<float> y)
    {
        for (var i = 0; i < n; i++)
        {
            var row = y.Slice(i * cols, cols);
            row.Clear();
            for (var k = 0; k < d; k++)
            {
                var xik = x[(i * d) + k];
                for (var c = 0; c < cols; c++)
                {
                    row[c] += xik * m[PackedIndex(k, c, d)];
                }
            }
        }
    }

    public static void MultiplyVector256(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> m, int cols, Span<float> y)
    {
        if (cols % ColumnBlock != 0)
        {
            throw new ArgumentException($"columns must be a multiple of {ColumnBlock}", nameof(cols));
        }

        ref var xBase = ref MemoryMarshal.GetReference(x);
        ref var mBase = ref MemoryMarshal.GetReference(m);
        ref var yBase = ref MemoryMarshal.GetReference(y);
        const int W = 8; // floats per Vector256
        for (var c = 0; c < cols; c += ColumnBlock)
        {
            ref var panel = ref Unsafe.Add(ref mBase, c * d);
            var i = 0;
            for (; i + 4 <= n; i += 4)
            {
                ref var x0 = ref Unsafe.Add(ref xBase, i * d);
                ref var x1 = ref Unsafe.Add(ref xBase, (i + 1) * d);
                ref var x2 = ref Unsafe.Add(ref xBase, (i + 2) * d);
                ref var x3 = ref Unsafe.Add(ref xBase, (i + 3) * d);
                Vector256<float> a00 = default, a01 = default, a02 = default;
                Vector256<float> a10 = default, a11 = default, a12 = default;
                Vector256<float> a20 = default, a21 = default, a22 = default;
                Vector256<float> a30 = default, a31 = default, a32 = default;
                for (var k = 0; k < d; k++)
                {
                    ref var mk = ref Unsafe.Add(ref panel, k * ColumnBlock);
                    var m0 = Vector256.LoadUnsafe(ref mk);
                    var m1 = Vector256.LoadUnsafe(ref mk, W);
                    var m2 = Vector256.LoadUnsafe(ref mk, 2 * W);
                    var b = Vector256.Create(Unsafe.Add(ref x0, k));
                    a00 = ChamferKernel.MultiplyAdd(b, m0, a00);
                    a01 = ChamferKernel.MultiplyAdd(b, m1, a01);
                    a02 = ChamferKernel.MultiplyAdd(b, m2, a02);
                    b = Vector256.Create(Unsafe.Add(ref x1, k));
                    a10 = ChamferKernel.MultiplyAdd(b, m0, a10);
                    a11 = ChamferKernel.MultiplyAdd(b, m1, a11);
                    a12 = ChamferKernel.MultiplyAdd(b, m2, a12);
                    b = Vector256.Create(Unsafe.Add(ref x2, k));
                    a20 = ChamferKernel.MultiplyAdd(b, m0, a20);
                    a21 = ChamferKernel.MultiplyAdd(b, m1, a21);
                    a22 = ChamferKernel.MultiplyAdd(b, m2, a22);
                    b = Vector256.Create(Unsafe.Add(ref x3, k));
                    a30 = ChamferKernel.MultiplyAdd(b, m0, a30);
                    a31 = ChamferKernel.MultiplyAdd(b, m1, a31);
                    a32 = ChamferKernel.MultiplyAdd(b, m2, a32);
                }

                Store(ref Unsafe.Add(ref yBase, (i * cols) + c), a00, a01, a02);
                Store(ref Unsafe.Add(ref yBase, ((i + 1) * cols) + c), a10, a11, a12);
                Store(ref Unsafe.Add(ref yBase, ((i + 2) * cols) + c), a20, a21, a22);
                Store(ref Unsafe.Add(ref yBase, ((i + 3) * cols) + c), a30, a31, a32);
            }

            if (i < n)
            {
                // The last 1–3 rows: a 3-row tile (9 chains, still enough to keep both FMA ports busy) instead of a
                // 4-row tile with a wasted row; rows past the end alias row n−1 and store the same values.
                var r1 = Math.Min(i + 1, n - 1);
                var r2 = Math.Min(i + 2, n - 1);
                ref var x0 = ref Unsafe.Add(ref xBase, i * d);
                ref var x1 = ref Unsafe.Add(ref xBase, r1 * d);
                ref var x2 = ref Unsafe.Add(ref xBase, r2 * d);
                Vector256<float> a00 = default, a01 = default, a02 = default;
                Vector256<float> a10 = default, a11 = default, a12 = default;
                Vector256<float> a20 = default, a21 = default, a22 = default;
                for (var k = 0; k < d; k++)
                {
                    ref var mk = ref Unsafe.Add(ref panel, k * ColumnBlock);
                    var m0 = Vector256.LoadUnsafe(ref mk);
                    var m1 = Vector256.LoadUnsafe(ref mk, W);
                    var m2 = Vector256.LoadUnsafe(ref mk, 2 * W);
                    var b = Vector256.Create(Unsafe.Add(ref x0, k));
                    a00 = ChamferKernel.MultiplyAdd(b, m0, a00);
                    a01 = ChamferKernel.MultiplyAdd(b, m1, a01);
                    a02 = ChamferKernel.MultiplyAdd(b, m2, a02);
                    b = Vector256.Create(Unsafe.Add(ref x1, k));
                    a10 = ChamferKernel.MultiplyAdd(b, m0, a10);
                    a11 = ChamferKernel.MultiplyAdd(b, m1, a11);
                    a12 = ChamferKernel.MultiplyAdd(b, m2, a12);
                    b = Vector256.Create(Unsafe.Add(ref x2, k));
                    a20 = ChamferKernel.MultiplyAdd(b, m0, a20);
                    a21 = ChamferKernel.MultiplyAdd(b, m1, a21);
                    a22 = ChamferKernel.MultiplyAdd(b, m2, a22);
                }

                Store(ref Unsafe.Add(ref yBase, (r2 * cols) + c), a20, a21, a22);
                Store(ref Unsafe.Add(ref yBase, (r1 * cols) + c), a10, a11, a12);
                Store(ref Unsafe.Add(ref yBase, (i * cols) + c), a00, a01, a02);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float destination, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2)
    {
        v0.StoreUnsafe(ref destination);
        v1.StoreUnsafe(ref destination, 8);
        v2.StoreUnsafe(ref destination, 16);
    }
}
